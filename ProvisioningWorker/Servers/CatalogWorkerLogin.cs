using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>
/// The worker's own catalog login (<see cref="CatalogLogins.Worker"/>), created and granted on the admin session that just ran
/// the catalog migrations, so every table they created is covered: it reads and writes rows (tenants, operations, audit, the key
/// ring), may only read the migration history, and can create, alter or drop nothing. The worker's runtime catalog access
/// (queue, handlers, monitors, Data Protection) goes through it; only migrations and these grants use the admin login.
/// </summary>
internal static class CatalogWorkerLogin
{
    public static async Task EnsureAsync(NpgsqlConnection admin, string catalogDatabase, string password, CancellationToken ct)
    {
        var login = SqlIdentifier.Quote(CatalogLogins.Worker);
        var verb = await ServerAdmin.ExistsAsync(admin, "SELECT 1 FROM pg_roles WHERE rolname = $1", CatalogLogins.Worker, ct) ? "ALTER" : "CREATE";
        await ServerAdmin.ExecuteAsync(admin, $"{verb} ROLE {login} LOGIN PASSWORD {SqlIdentifier.SecretLiteral(password)}", ct);
        await ServerAdmin.ExecuteAsync(admin, $"GRANT CONNECT ON DATABASE {SqlIdentifier.Quote(catalogDatabase)} TO {login}", ct);
        await ServerAdmin.ExecuteAsync(admin, $"GRANT USAGE ON SCHEMA public TO {login}", ct);
        await ServerAdmin.ExecuteAsync(admin, $"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {login}", ct);
        await ServerAdmin.ExecuteAsync(admin, $"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {login}", ct);
        // EF Core's migration history belongs to the admin that migrates: readable, never rewritable by the worker at run time.
        await ServerAdmin.ExecuteAsync(admin, $"REVOKE INSERT, UPDATE, DELETE ON public.\"__EFMigrationsHistory\" FROM {login}", ct);
    }
}
