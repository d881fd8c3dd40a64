using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>What a migration found and left: versions read from the tenant's own <c>__EFMigrationsHistory</c>.</summary>
public sealed record TenantMigrationResult(string? From, string? To, TimeSpan Duration)
{
    public bool Applied => !string.Equals(From, To, StringComparison.Ordinal);
}

/// <summary>Another session (a worker, a wake) is migrating this tenant right now: try again later.</summary>
public sealed class TenantMigrationBusyException(string slug) : Exception($"tenant {slug} is being migrated by another session");

/// <summary>
/// The one way a tenant database is migrated (provisioning, rollouts, wakes, upgrades asked for by requests): as the tenant's own
/// role (so it owns what the migration creates), in one transaction with <c>lock_timeout</c> and <c>statement_timeout</c> (a busy
/// tenant is retried later instead of queueing its own requests behind an exclusive lock), under a per-tenant advisory lock, and
/// only forward. The script is EF Core's, generated once per (from, to) and sent in one round trip; EF's MigrateAsync would open
/// its own transaction per migration and could not take the advisory lock or the timeouts with it.
/// </summary>
public sealed class TenantMigrator(
    ServerConnections connections, TenantCredentialProtector protector, TenantSchema schema, IOptions<MigrationOptions> options)
{
    public Task<TenantMigrationResult> MigrateAsync(Tenant tenant, string target, CancellationToken ct) =>
        MigrateOnAsync(tenant, tenant.Server, target, ct);

    /// <summary>Migrates the tenant's database on <paramref name="server"/> (a move's target, before the tenant lives there).</summary>
    public async Task<TenantMigrationResult> MigrateOnAsync(Tenant tenant, string server, string target, CancellationToken ct)
    {
        if (tenant.ProtectedPassword is null)
        {
            throw new InvalidOperationException($"tenant {tenant.Slug} has no login yet");
        }
        var started = Stopwatch.GetTimestamp();
        await using var session = await connections.OpenTenantAsync(
            server, tenant.DatabaseName, tenant.RoleName, protector.Unprotect(tenant.ProtectedPassword), "tenant-migrator", ct);
        var connection = session.Connection;
        await using var tx = await connection.BeginTransactionAsync(ct);
        var o = options.Value;
        await using (var setup = new NpgsqlBatch(connection, tx))
        {
            // One round trip. SET LOCAL takes no parameters: the values are whole milliseconds from bound options, never user input.
            setup.BatchCommands.Add(new($"SELECT pg_try_advisory_xact_lock({Servers.AdvisoryLocks.TenantMigration})")); // the scalar
            setup.BatchCommands.Add(new($"SET LOCAL lock_timeout = {(long)o.LockTimeout.TotalMilliseconds}"));
            setup.BatchCommands.Add(new($"SET LOCAL statement_timeout = {(long)o.StatementTimeout.TotalMilliseconds}"));
            if (await setup.ExecuteScalarAsync(ct) is not true)
            {
                throw new TenantMigrationBusyException(tenant.Slug);
            }
        }
        var from = await TenantHistory.AppliedAsync(connection, tx, ct);
        var to = from;
        if (TenantMigrations.IsBehind(from, target))
        {
            await using (var migrate = new NpgsqlCommand(schema.Script(from, target), connection, tx))
            {
                await migrate.ExecuteNonQueryAsync(ct);
            }
            to = await TenantHistory.AppliedAsync(connection, tx, ct);
        }
        await tx.CommitAsync(ct);
        return new(from, to, Stopwatch.GetElapsedTime(started));
    }
}
