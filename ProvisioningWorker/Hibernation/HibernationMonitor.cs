using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Hibernation;

/// <summary>
/// Finds idle tenants without touching the request path: every <see cref="HibernationOptions.CheckInterval"/> it reads each active
/// tenant database's transaction count (<c>pg_stat_database.xact_commit + xact_rollback</c>, one query per server); a tenant
/// whose count has not moved for <see cref="HibernationOptions.IdleAfter"/> gets a Hibernate operation. Open but unused pooled
/// connections do not count as activity. The "since when unchanged" memory is per process: a restarted worker starts counting
/// again, which only delays hibernation. With several workers, the one holding an advisory lock acts.
/// </summary>
public sealed class HibernationMonitor(
    IServiceScopeFactory scopes,
    ServerConnections connections,
    CatalogMigrationState migrations,
    IOptions<HibernationOptions> options,
    HibernationScanRequests requests,
    TimeProvider clock,
    ILogger<HibernationMonitor> logger) : BackgroundService
{
    private const long ScanLock = AdvisoryLocks.HibernationScan;
    private readonly Dictionary<Guid, (long Transactions, DateTimeOffset Since)> _lastSeen = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.IdleAfter <= TimeSpan.Zero)
        {
            return;
        }
        await migrations.WaitAsync(stoppingToken);
        await requests.RunPeriodicallyAsync(options.Value.CheckInterval, clock, async requestedBy =>
        {
            try
            {
                await ScanAsync(clock.GetUtcNow(), stoppingToken, requestedBy);
            }
            catch (Exception e) when (e is NpgsqlException or DbUpdateException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Hibernation scan failed; retrying at the next interval");
            }
        }, stoppingToken);
    }

    /// <summary>
    /// One scan; idleness is judged as of <paramref name="now"/>. Returns the tenants it queued for hibernation. A scan someone
    /// asked for (<paramref name="requestedBy"/>) audits each hibernation it queues with that actor.
    /// </summary>
    public async Task<IReadOnlyList<string>> ScanAsync(DateTimeOffset now, CancellationToken ct, string? requestedBy = null)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            // A session advisory lock on the catalog (held by this one connection until unlocked): one scanning worker at a time.
            IReadOnlyList<string> queued = [];
            await AdvisoryLocks.TryHoldAsync(db, ScanLock, async () => queued = await ScanLockedAsync(db, now, requestedBy, ct), ct);
            return queued;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IReadOnlyList<string>> ScanLockedAsync(CatalogDbContext db, DateTimeOffset now, string? requestedBy, CancellationToken ct)
    {
        // A tenant being moved is not closed under its copy (that would end the replication's sessions), nor one being restored.
        var active = await db.Tenants.AsNoTracking().Where(t => t.Status == TenantStatus.Active
                && !db.Moves.Any(m => m.TenantId == t.Id && TenantMove.OpenPhases.Contains(m.Phase))
                && !db.Restores.Any(r => r.TenantId == t.Id && TenantRestore.OpenPhases.Contains(r.Phase)))
            .Select(t => new { t.Id, t.Slug, t.Server, t.DatabaseName }).ToListAsync(ct);
        var idle = new List<string>();
        foreach (var server in active.GroupBy(t => t.Server))
        {
            var transactions = await TransactionCountsAsync(server.Key, [.. server.Select(t => t.DatabaseName)], ct);
            foreach (var tenant in server)
            {
                if (!transactions.TryGetValue(tenant.DatabaseName, out var count))
                {
                    continue;
                }
                if (!_lastSeen.TryGetValue(tenant.Id, out var seen) || seen.Transactions != count)
                {
                    _lastSeen[tenant.Id] = (count, now);
                }
                else if (now - seen.Since >= options.Value.IdleAfter)
                {
                    idle.Add(tenant.Slug);
                    if (await db.EnqueueOnceAsync(tenant.Id, OperationKind.Hibernate, OperationTrace.ForTenant(tenant.Slug), clock.GetUtcNow(), ct))
                    {
                        logger.LogInformation("{Tenant} ran no transaction for {Idle}: hibernating", tenant.Slug, now - seen.Since);
                        if (requestedBy is not null)
                        {
                            await AuditRequestedAsync(db, tenant.Id, requestedBy, now - seen.Since, ct);
                        }
                    }
                    _lastSeen.Remove(tenant.Id);
                }
            }
        }
        var stillActive = active.Select(t => t.Id).ToHashSet();
        foreach (var gone in _lastSeen.Keys.Where(id => !stillActive.Contains(id)).ToList())
        {
            _lastSeen.Remove(gone);
        }
        return idle;
    }

    private async Task AuditRequestedAsync(CatalogDbContext db, Guid tenantId, string actor, TimeSpan idle, CancellationToken ct)
    {
        if (await db.Tenants.SingleOrDefaultAsync(t => t.Id == tenantId, ct) is { } tenant)
        {
            db.AuditEvents.Add(Audit.Event(tenant, "hibernate-requested", actor, clock.GetUtcNow(), $"idle for {idle:g}"));
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }
    }

    private async Task<Dictionary<string, long>> TransactionCountsAsync(string server, string[] databases, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        await using var command = new NpgsqlCommand(
            "SELECT datname, xact_commit + xact_rollback FROM pg_stat_database WHERE datname = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = databases });
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }
        return counts;
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }
}
