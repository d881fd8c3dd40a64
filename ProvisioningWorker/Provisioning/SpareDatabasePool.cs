using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Servers;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.ProvisioningWorker.Provisioning;

/// <summary>
/// Keeps <see cref="ProvisioningOptions.SpareDatabases"/> databases (standard storage) on every server cloned from the template ahead of time, so provisioning renames
/// one (milliseconds) instead of cloning (a few hundred ms on these machines). One worker refills at a time (advisory lock).
/// A spare cloned from an older template is fine: the migrate step brings it forward after it is claimed.
/// </summary>
public sealed class SpareDatabasePool(
    ServerConnections connections, TemplateDatabase template, ProvisioningReadiness readiness, ServerResolver servers,
    TenantTablespaces tablespaces, CatalogScopedNames names,
    IOptions<ProvisioningOptions> options, ILogger<SpareDatabasePool> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    public void Signal() => _signal.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var target = options.Value.SpareDatabases;
        if (target <= 0 || !options.Value.UseTemplate)
        {
            return;
        }
        await readiness.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var server in servers.Names)
            {
                try
                {
                    await RefillAsync(server, target, stoppingToken);
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                {
                    logger.LogWarning(e, "Spare database refill on {Server} failed; retrying", server);
                }
            }
            await _signal.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken);
        }
    }

    private async Task RefillAsync(string server, int target, CancellationToken ct)
    {
        if (!await template.EnsureCurrentAsync(server, ct))
        {
            return;
        }
        await UnderRefillLockAsync(server, async connection =>
        {
            // Under the refill lock nobody else is preparing one: whatever is left in the preparing namespace is a crashed refill's.
            foreach (var leftover in await ServerAdmin.DatabasesLikeAsync(connection, names.PreparingSparePrefix, ct))
            {
                await ServerAdmin.ExecuteAsync(connection, $"DROP DATABASE IF EXISTS {SqlIdentifier.Quote(leftover)}", ct);
            }
            for (var count = (await ServerAdmin.SparesAsync(connection, names, ct)).Count; count < target; count++)
            {
                var id = Guid.CreateVersion7();
                var preparing = SqlIdentifier.Quote(names.PreparingSpareName(id));
                await ServerAdmin.ExecuteAsync(connection, $"CREATE DATABASE {preparing} TEMPLATE {SqlIdentifier.Quote(names.TemplateDatabase)}"
                    + TenantTablespaces.Clause(tablespaces.ForSpares(server)), ct);
                await ServerAdmin.ExecuteAsync(connection, $"REVOKE ALL ON DATABASE {preparing} FROM PUBLIC", ct);
                // Only now does it get the name provisioning claims: a spare is never taken while it is still being set up
                // (before, a claim between CREATE and REVOKE failed the refill with "does not exist" or "tuple concurrently updated").
                await ServerAdmin.ExecuteAsync(connection, $"ALTER DATABASE {preparing} RENAME TO {SqlIdentifier.Quote(names.SpareDatabaseName(id))}", ct);
            }
        }, ct);
    }

    /// <summary>
    /// After a rollout migrated the template: spares cloned from the older one are dropped and the pool refills from the new one,
    /// so claims stay a rename. (A spare claimed before this runs is still fine: provisioning migrates it forward.)
    /// </summary>
    public async Task RecloneBehindAsync(string server, string target, CancellationToken ct)
    {
        await UnderRefillLockAsync(server, async connection =>
        {
            foreach (var spare in await ServerAdmin.SparesAsync(connection, names, ct))
            {
                string? applied;
                try
                {
                    await using var inside = await connections.OpenProvisionerInAsync(server, spare, ct);
                    applied = await TenantHistory.AppliedAsync(inside.Connection, null, ct);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
                {
                    continue; // claimed by a provisioning meanwhile
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
                {
                    applied = null; // "invalid database": a DROP that was interrupted (a timeout under checkpoint pressure); finish it
                }
                if (TenantAspire.Tenancy.Data.TenantMigrations.IsBehind(applied, target))
                {
                    await ServerAdmin.ExecuteAsync(connection, $"DROP DATABASE IF EXISTS {SqlIdentifier.Quote(spare)} WITH (FORCE)", ct);
                }
            }
        }, ct);
        Signal();
    }

    /// <summary>Runs <paramref name="work"/> if no other worker holds the refill lock (it is then doing the same work).</summary>
    private async Task UnderRefillLockAsync(string server, Func<NpgsqlConnection, Task> work, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_try_advisory_lock({AdvisoryLocks.SpareRefill})", connection))
        {
            if (await lockCommand.ExecuteScalarAsync(ct) is not true)
            {
                return;
            }
        }
        try
        {
            await work(connection);
        }
        finally
        {
            // A broken session (timeout, server gone) already lost its advisory lock; unlocking it would only hide the real error.
            if (connection.FullState == System.Data.ConnectionState.Open)
            {
                await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({AdvisoryLocks.SpareRefill})", connection);
                await unlock.ExecuteScalarAsync(CancellationToken.None);
            }
        }
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }
}
