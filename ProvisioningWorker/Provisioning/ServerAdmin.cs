using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.ProvisioningWorker.Provisioning;

/// <summary>Idempotent server-level DDL for tenant databases and roles. Every identifier goes through <see cref="SqlIdentifier"/>.</summary>
public sealed class ServerAdmin(ServerConnections connections)
{
    /// <summary>One-time, as superuser: the provisioner and template-owner roles, and no PUBLIC CONNECT on shared databases.</summary>
    public async Task BootstrapAsync(string server, string catalogDatabase, CancellationToken ct)
    {
        await using var connection = connections.OpenSuperuser(server, "postgres");
        await connection.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Serialises concurrent workers starting together.
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(727274)", ct);
        foreach (var (role, attributes) in new[]
                 {
                     (TenantNaming.ProvisionerRole, "NOLOGIN CREATEDB CREATEROLE"),
                     (TenantNaming.TemplateOwnerRole, "NOLOGIN"),
                 })
        {
            if (!await ExistsAsync(connection, "SELECT 1 FROM pg_roles WHERE rolname = $1", role, ct))
            {
                await ExecuteAsync(connection, $"CREATE ROLE {SqlIdentifier.Quote(role)} {attributes}", ct);
            }
        }
        var provisioner = SqlIdentifier.Quote(TenantNaming.ProvisionerRole);
        await ExecuteAsync(connection, $"GRANT {SqlIdentifier.Quote(TenantNaming.TemplateOwnerRole)} TO {provisioner}", ct);
        await ExecuteAsync(connection, $"GRANT pg_signal_backend TO {provisioner}", ct);
        foreach (var shared in new[] { "postgres", catalogDatabase })
        {
            await ExecuteAsync(connection, $"REVOKE CONNECT, TEMPORARY ON DATABASE {SqlIdentifier.Quote(shared)} FROM PUBLIC", ct);
        }
        await tx.CommitAsync(ct);
    }

    public async Task EnsureRoleAsync(string server, string role, string password, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        var quoted = SqlIdentifier.Quote(role);
        // Defaults: NOSUPERUSER NOCREATEDB NOCREATEROLE. INHERIT stays on: owning the database works through pg_database_owner.
        // A rerun after a crash finds the role and just sets the (persisted) password again.
        var verb = await ExistsAsync(connection, "SELECT 1 FROM pg_roles WHERE rolname = $1", role, ct) ? "ALTER" : "CREATE";
        await ExecuteAsync(connection, $"{verb} ROLE {quoted} LOGIN PASSWORD {SqlIdentifier.SecretLiteral(password)}", ct);
        // The provisioner needs the tenant role's privileges to own-transfer objects and drop the database later.
        await ExecuteAsync(connection, $"GRANT {quoted} TO {SqlIdentifier.Quote(TenantNaming.ProvisionerRole)}", ct);
    }

    /// <returns>true when created from the template, false when created empty (the migrate step fills it).</returns>
    public async Task<bool> EnsureDatabaseAsync(string server, string database, string ownerRole, bool fromTemplate, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        if (await ExistsAsync(connection, "SELECT 1 FROM pg_database WHERE datname = $1", database, ct))
        {
            return fromTemplate;
        }
        var template = fromTemplate ? $" TEMPLATE {SqlIdentifier.Quote(TenantNaming.TemplateDatabase)}" : string.Empty;
        try
        {
            await ExecuteAsync(connection,
                $"CREATE DATABASE {SqlIdentifier.Quote(database)} OWNER {SqlIdentifier.Quote(ownerRole)}{template}", ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // another attempt won the race: same end state
        }
        return fromTemplate;
    }

    /// <summary>Only the tenant's role may connect; it owns every object cloned from the template.</summary>
    /// <returns>The newest migration already applied in the database (null when it has none), read on the same connection.</returns>
    public async Task<string?> SecureDatabaseAsync(string server, string database, string role, CancellationToken ct)
    {
        await using var connection = connections.OpenProvisionerIn(server, database);
        await connection.OpenAsync(ct);
        var db = SqlIdentifier.Quote(database);
        var tenant = SqlIdentifier.Quote(role);
        var templateOwner = SqlIdentifier.Quote(TenantNaming.TemplateOwnerRole);
        await ExecuteAsync(connection, $"REVOKE ALL ON DATABASE {db} FROM PUBLIC", ct);
        await ExecuteAsync(connection, $"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {tenant}", ct);
        await ExecuteAsync(connection, $"REASSIGN OWNED BY {templateOwner} TO {tenant}", ct);
        await ExecuteAsync(connection, $"DROP OWNED BY {templateOwner}", ct);
        await using var history = new NpgsqlCommand("SELECT to_regclass('public.\"__EFMigrationsHistory\"') IS NOT NULL", connection);
        if (await history.ExecuteScalarAsync(ct) is not true)
        {
            return null;
        }
        await using var applied = new NpgsqlCommand("SELECT max(migration_id) FROM public.\"__EFMigrationsHistory\"", connection);
        return await applied.ExecuteScalarAsync(ct) as string;
    }

    public async Task DropDatabaseAsync(string server, string database, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        await ExecuteAsync(connection, $"DROP DATABASE IF EXISTS {SqlIdentifier.Quote(database)} WITH (FORCE)", ct);
    }

    public async Task DropRoleAsync(string server, string role, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        await ExecuteAsync(connection, $"DROP ROLE IF EXISTS {SqlIdentifier.Quote(role)}", ct);
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    internal static async Task<bool> ExistsAsync(NpgsqlConnection connection, string sql, string name, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return await command.ExecuteScalarAsync(ct) is not null;
    }
}
