using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>
/// The fleet's backups: every <see cref="BackupOptions.ScanInterval"/> (or when an admin asks), one worker at a time (advisory
/// lock) looks at every active, suspended and hibernated tenant, decides with <see cref="BackupPolicy"/> (due for its tier, and
/// changed since its newest backup by <see cref="WriteSignal"/>), and dumps the ones that need it,
/// <see cref="BackupOptions.Concurrency"/> at once. Each dump is the tenant's running operation (<see cref="InlineOperations"/>):
/// it never overlaps the tenant's delete, restore or move, and it looks at the tenant again once it holds it (a tenant deleted
/// meanwhile is not dumped). A tenant that fails or is busy is reported (metric, log, the pass's row) and retried at the next
/// pass. Then the store's clean-up and, every <see cref="BackupOptions.DrillInterval"/>, the restore drills. Hibernating takes a
/// final backup of unsaved writes (<see cref="HibernationHandler"/>), so a sleeping tenant is normally unchanged; one that is not
/// has its database opened for the dump and closed again.
/// </summary>
public sealed class BackupScheduler(
    IServiceScopeFactory scopes, CatalogMigrationState migrations, BackupPassRequests requests, InlineOperations inline,
    IOptions<BackupOptions> options, TimeProvider clock, ILogger<BackupScheduler> logger) : BackgroundService
{
    public const string ScheduleTrigger = "schedule";

    /// <summary>The states whose databases hold data to back up (moving and restoring ones are busy with that operation).</summary>
    private static readonly TenantStatus[] BackedUp = [TenantStatus.Active, TenantStatus.Suspended, TenantStatus.Hibernated];

    // Tenants whose database counter moved without a write of theirs (confirmed by their own tables), with the counter then:
    // the next passes need not connect again until it moves once more.
    private readonly Dictionary<Guid, long> _confirmedUnchanged = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        await requests.RunPeriodicallyAsync(options.Value.ScanInterval, clock, async requestedBy =>
        {
            if (requestedBy is null && !options.Value.Scheduled)
            {
                return;
            }
            try
            {
                await PassAsync(requestedBy ?? ScheduleTrigger, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Backup pass failed; retrying at the next interval");
            }
        }, stoppingToken);
    }

    private async Task PassAsync(string trigger, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        await AdvisoryLocks.TryHoldAsync(db, AdvisoryLocks.BackupPass, async () =>
        {
            await BackUpAsync(trigger, ct);
            await scope.ServiceProvider.GetRequiredService<BackupHousekeeping>().RunAsync(ct);
            // Drills are due fleet-wide (the newest drill in the catalog), not per worker replica.
            var o = options.Value;
            var lastDrill = await db.Backups.MaxAsync(b => b.DrilledAt, ct) ?? DateTimeOffset.MinValue;
            if (o.DrillInterval > TimeSpan.Zero && clock.GetUtcNow() - lastDrill >= o.DrillInterval)
            {
                await scope.ServiceProvider.GetRequiredService<DrillRunner>().RunAsync(o.DrillsPerPass, ct);
            }
        }, ct);
    }

    /// <summary>
    /// Only the database counter moved and the tenant is due: its own tables say whether it wrote (one connection, once per
    /// counter value). Unreadable → left as is, which counts as changed.
    /// </summary>
    private async Task<WriteSignal?> ConfirmAsync(WriteCounters counters, Tenant tenant, LastBackup? last, WriteSignal? signal, DateTimeOffset now,
        CancellationToken ct)
    {
        if (tenant.Status == TenantStatus.Hibernated // closed: no connection to confirm with (and nothing writes there)
            || !BackupPolicy.NeedsUserWrites(last, tenant.Server, tenant.DatabaseName, tenant.SchemaVersion, signal)
            || now - last!.At < options.Value.For(tenant.Tier).Interval)
        {
            return signal;
        }
        if (_confirmedUnchanged.TryGetValue(tenant.Id, out var counter) && counter == signal!.Counter)
        {
            return signal with { UserWrites = last.UserWrites };
        }
        try
        {
            var user = await counters.UserWritesAsync(tenant.Server, tenant.DatabaseName, ct);
            if (user == last.UserWrites)
            {
                _confirmedUnchanged[tenant.Id] = signal!.Counter;
            }
            return signal! with { UserWrites = user };
        }
        catch (Npgsql.NpgsqlException e)
        {
            logger.LogDebug(e, "User-table counters of {Tenant} unreadable; counted as changed", tenant.Slug);
            return signal;
        }
    }

    private async Task BackUpAsync(string trigger, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var counters = scope.ServiceProvider.GetRequiredService<WriteCounters>();
        var now = clock.GetUtcNow();
        var pass = new BackupPass { Id = Guid.CreateVersion7(), Trigger = trigger, StartedAt = now };
        db.BackupPasses.Add(pass);
        await db.SaveChangesAsync(ct);

        var tenants = await db.Tenants.AsNoTracking().Where(t => BackedUp.Contains(t.Status)).ToListAsync(ct);
        var newest = (await db.Backups.FromSql($"SELECT DISTINCT ON (tenant_id) * FROM tenant_backups ORDER BY tenant_id, created_at DESC")
                .AsNoTracking().ToListAsync(ct))
            .ToDictionary(b => b.TenantId, LastBackup.From);
        var signals = new Dictionary<string, Dictionary<string, WriteSignal>>(StringComparer.Ordinal);
        foreach (var server in tenants.Select(t => t.Server).Distinct())
        {
            try
            {
                signals[server] = await counters.ReadAsync(server, ct);
            }
            catch (Npgsql.NpgsqlException e)
            {
                logger.LogWarning(e, "Write counters of server {Server} unreadable; its tenants count as changed", server);
            }
        }

        var due = new List<Tenant>();
        var exposure = new Dictionary<TenantTier, TimeSpan>();
        void Widen(TenantTier tier, TimeSpan exposed) => exposure[tier] = exposed > exposure.GetValueOrDefault(tier) ? exposed : exposure.GetValueOrDefault(tier);
        foreach (var tenant in tenants)
        {
            var last = newest.GetValueOrDefault(tenant.Id);
            var signal = signals.GetValueOrDefault(tenant.Server)?.GetValueOrDefault(tenant.DatabaseName);
            signal = await ConfirmAsync(counters, tenant, last, signal, now, ct);
            var decision = BackupPolicy.Decide(options.Value.For(tenant.Tier), last, tenant.Server, tenant.DatabaseName, tenant.SchemaVersion, signal, now);
            switch (decision)
            {
                case BackupDecision.NotDue:
                    pass.NotDue++;
                    break;
                case BackupDecision.Unchanged:
                    if (last is not null && now - last.At >= options.Value.For(tenant.Tier).Interval)
                    {
                        pass.Unchanged++; // due, and skipped because nothing changed
                        BackupTelemetry.Skipped.Add(1, new KeyValuePair<string, object?>("tier", tenant.Tier.ToString()));
                    }
                    else
                    {
                        pass.NotDue++;
                    }
                    break;
                default:
                    due.Add(tenant);
                    continue; // exposure: zero once backed up, counted below if it fails
            }
            Widen(tenant.Tier, BackupPolicy.ExposedFor(decision, last, tenant.CreatedAt, now));
        }
        pass.Considered = tenants.Count;

        long bytes = 0;
        var failed = new System.Collections.Concurrent.ConcurrentBag<Tenant>();
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Value.Concurrency), CancellationToken = ct },
            async (tenant, token) =>
            {
                TenantTelemetry.Enter(tenant.Slug);
                using var logScope = logger.BeginScope(new Dictionary<string, object?> { [TenantTelemetry.TenantIdKey] = tenant.Slug });
                try
                {
                    var busy = await inline.TryRunAsync(tenant.Id, OperationKind.Backup, async (services, held) =>
                    {
                        // Looked at again under the tenant's operation: deleted, moved or restored since the list was read?
                        var now = await services.GetRequiredService<CatalogDbContext>().Tenants.AsNoTracking()
                            .SingleOrDefaultAsync(t => t.Id == tenant.Id, held);
                        if (now is null || !BackedUp.Contains(now.Status))
                        {
                            logger.LogInformation("{Tenant} is {Status} now; not backed up", tenant.Slug, now?.Status.ToString().ToLowerInvariant() ?? "gone");
                            return;
                        }
                        var backup = await services.GetRequiredService<BackupRunner>().RunAsync(BackupTarget.From(now), ScheduleTrigger, held);
                        Interlocked.Add(ref bytes, backup.Bytes);
                    }, token);
                    if (busy is not null)
                    {
                        failed.Add(tenant);
                        logger.LogInformation("Backup of {Tenant} deferred: busy with {Operation}; the next pass takes it", tenant.Slug, busy.Running);
                    }
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    failed.Add(tenant);
                    logger.LogWarning("Backup of {Tenant} failed: {Reason}; the next pass retries it", tenant.Slug, Failures.Describe(e.GetBaseException()));
                }
            });
        foreach (var tenant in failed)
        {
            Widen(tenant.Tier, BackupPolicy.ExposedFor(BackupDecision.Changed, newest.GetValueOrDefault(tenant.Id), tenant.CreatedAt, clock.GetUtcNow()));
        }
        foreach (var tier in Enum.GetValues<TenantTier>())
        {
            BackupTelemetry.SetExposure(tier, exposure.GetValueOrDefault(tier));
        }
        pass.BackedUp = due.Count - failed.Count;
        pass.Failed = failed.Count;
        pass.Bytes = bytes;
        pass.FinishedAt = clock.GetUtcNow();
        pass.Error = failed.IsEmpty ? null : $"{failed.Count} tenant(s) failed, e.g. '{failed.First().Slug}'; retried at the next pass";
        await db.SaveChangesAsync(CancellationToken.None);
        logger.LogInformation("Backup pass ({Trigger}): {BackedUp} backed up, {Unchanged} unchanged, {NotDue} not due, {Failed} failed, {Bytes} bytes in {Elapsed:0} ms",
            trigger, pass.BackedUp, pass.Unchanged, pass.NotDue, pass.Failed, bytes, (pass.FinishedAt - pass.StartedAt).Value.TotalMilliseconds);
    }
}
