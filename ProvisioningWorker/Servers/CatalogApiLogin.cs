using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>
/// The API's own catalog login (<see cref="CatalogLogins.Api"/>), created and granted at every start (after the catalog
/// migrations, so tables a new migration added are covered): it reads tenants, operations, audit events and the Data Protection
/// key ring; it inserts and updates tenants and rollouts, inserts operations and audit events, updates rollouts' tenants;
/// reads servers and sets their state; reads and inserts moves; reads backups, asks for restores, undos and exports. No DELETE, no DDL, no key writes, no other
/// database. So an attacker who gets into the API process cannot drop the catalog, rewrite the key ring or read other servers.
/// </summary>
public sealed class CatalogApiLogin(ServerAdmin admin, ServerConnections connections)
{
    private static readonly (string Table, string Privileges)[] Grants =
    [
        ("tenants", "SELECT, INSERT, UPDATE"),
        ("tenant_operations", "SELECT, INSERT"),
        ("audit_events", "SELECT, INSERT"),
        ("data_protection_keys", "SELECT"),
        // Admins start, pause, resume and abort rollouts; resuming a halted one gives its failed tenants new attempts.
        ("schema_rollouts", "SELECT, INSERT, UPDATE"),
        ("schema_rollout_tenants", "SELECT, UPDATE"),
        // Placement reads servers; a drain sets a server's state; tier changes and drains ask for moves.
        ("servers", "SELECT, UPDATE (state, updated_at)"),
        ("tenant_moves", "SELECT, INSERT"),
        // Admins list backups and passes, ask for restores (and undo one: its phase), and ask for exports.
        ("tenant_backups", "SELECT"),
        ("backup_passes", "SELECT"),
        ("tenant_restores", "SELECT, INSERT, UPDATE (phase, updated_at)"),
        ("tenant_exports", "SELECT, INSERT"),
    ];

    public async Task EnsureAsync(string server, string catalogDatabase, string password, CancellationToken ct)
    {
        await (await admin.EnsureLoginAsync(server, CatalogLogins.Api, password, ct)).DisposeAsync();

        var login = SqlIdentifier.Quote(CatalogLogins.Api);
        await using var catalog = connections.OpenSuperuser(server, catalogDatabase);
        await catalog.OpenAsync(ct);
        await using var tx = await catalog.BeginTransactionAsync(ct);
        await ServerAdmin.ExecuteAsync(catalog, $"GRANT CONNECT ON DATABASE {SqlIdentifier.Quote(catalogDatabase)} TO {login}", ct);
        // Start from nothing each time, so a privilege dropped from the list above is really taken away.
        await ServerAdmin.ExecuteAsync(catalog, $"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {login}", ct);
        await ServerAdmin.ExecuteAsync(catalog, $"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {login}", ct);
        await ServerAdmin.ExecuteAsync(catalog, $"GRANT USAGE ON SCHEMA public TO {login}", ct);
        foreach (var (table, privileges) in Grants)
        {
            await ServerAdmin.ExecuteAsync(catalog, $"GRANT {privileges} ON {SqlIdentifier.Quote(table)} TO {login}", ct);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The same login on a tenant server, allowed into the maintenance database only: the API's registry watches closed backends
    /// leave <c>pg_stat_activity</c> from there. It connects to tenant databases as each tenant's role, never as this login.
    /// </summary>
    public async Task EnsureServerAccessAsync(string server, string password, CancellationToken ct)
    {
        await (await admin.EnsureLoginAsync(server, CatalogLogins.Api, password, ct)).DisposeAsync();
        await using var superuser = connections.OpenSuperuser(server, "postgres"); // the maintenance database is the superuser's
        await superuser.OpenAsync(ct);
        await ServerAdmin.ExecuteAsync(superuser, $"GRANT CONNECT ON DATABASE postgres TO {SqlIdentifier.Quote(CatalogLogins.Api)}", ct);
    }
}
