using Npgsql;
using TenantAspire.ProvisioningWorker.Backups;
using TenantAspire.ProvisioningWorker.Operations;
using TenantAspire.Tenancy.Backups;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Archiving;

/// <summary>
/// Point-in-time drills: proof that the WAL archive restores, before anyone needs it. Per archiving server, every
/// <see cref="ArchiveOptions.DrillInterval"/> (claimed on the server's row, so one worker drills it), a tenant of it is restored to
/// a random moment of its window into a scratch database through the same path as a real restore (scratch instance, dump, row
/// counts against the recovered copy), checked against the snapshot catalog where that is possible
/// (<see cref="PointInTimeDrillPlan"/>), and dropped. The outcome goes on the server's row (<c>GET /api/servers</c>), into the
/// metric <c>tenantaspire.restore.drills{kind=point-in-time}</c> and the log.
/// </summary>
public sealed class PointInTimeDrill(CatalogDbContext db, PointInTimeRestorer restorer, ServerAdmin admin, ServerConnections connections,
    Tenancy.Servers.ServerResolver servers, CatalogScopedNames names, TimeProvider clock, ILogger<PointInTimeDrill> logger)
{
    /// <summary>Drills <paramref name="server"/> if its drill is due and this worker claims it; false when there was nothing to drill.</summary>
    public async Task<bool> RunAsync(string server, TimeSpan interval, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var claimed = await db.Servers.Where(s => s.Name == server && (s.PitrDrilledAt == null || s.PitrDrilledAt <= now - interval))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.PitrDrilledAt, now)
                .SetProperty(x => x.PitrDrillOutcome, (DrillOutcome?)null).SetProperty(x => x.PitrDrill, "running"), ct);
        if (claimed == 0)
        {
            return false;
        }
        DrillOutcome outcome;
        string detail;
        try
        {
            await DropLeftoversAsync(server, ct);
            var plan = await PlanAsync(server, now, ct);
            if (plan is null)
            {
                // Nothing restorable yet (no tenant with a window): due again at the next pass.
                await db.Servers.Where(s => s.Name == server).ExecuteUpdateAsync(s => s.SetProperty(x => x.PitrDrilledAt, (DateTimeOffset?)null), ct);
                return false;
            }
            (outcome, detail) = await DrillAsync(server, plan, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Recorded, not left as a claim without an outcome: a drill that cannot even run is a failed drill.
            (outcome, detail) = (DrillOutcome.Failed, $"the drill could not run: {Failures.Describe(e)}");
        }
        await db.Servers.Where(s => s.Name == server).ExecuteUpdateAsync(s => s
            .SetProperty(x => x.PitrDrilledAt, clock.GetUtcNow())
            .SetProperty(x => x.PitrDrillOutcome, outcome)
            .SetProperty(x => x.PitrDrill, detail.Length > 2000 ? detail[..2000] : detail), ct);
        BackupTelemetry.Drills.Add(1, new("outcome", outcome.ToString().ToLowerInvariant()), new("kind", "point-in-time"));
        if (outcome == DrillOutcome.Passed)
        {
            logger.LogInformation("Point-in-time drill of server {Server} passed: {Detail}", server, detail);
        }
        else
        {
            logger.LogError("Point-in-time drill of server {Server} FAILED: {Detail}", server, detail);
        }
        return true;
    }

    /// <summary>Scratch databases an earlier drill of <paramref name="server"/> left when its worker died (on any server).</summary>
    private Task DropLeftoversAsync(string server, CancellationToken ct) =>
        admin.DropDatabasesLikeAsync(servers.Names, names.PointInTimeDrillPrefix(server), ct);

    private async Task<PointInTimeDrillPlan?> PlanAsync(string server, DateTimeOffset now, CancellationToken ct)
    {
        var random = Random.Shared;
        // A few candidates at random, sleeping ones first: they come with an oracle.
        var candidates = await db.Tenants.AsNoTracking()
            .Where(t => t.Server == server && (t.Status == TenantStatus.Hibernated || t.Status == TenantStatus.Active))
            .OrderByDescending(t => t.Status == TenantStatus.Hibernated).ThenBy(_ => EF.Functions.Random()).Take(10).ToListAsync(ct);
        PointInTimeDrillPlan? fallback = null;
        foreach (var tenant in candidates)
        {
            var window = await RecoveryWindow.ForAsync(db, tenant, ct);
            var newest = await db.Backups.AsNoTracking().Where(b => b.TenantId == tenant.Id).OrderByDescending(b => b.CreatedAt).FirstOrDefaultAsync(ct);
            if (PointInTimeDrillPlan.Hibernated(tenant, newest, window, now, random) is { } checkedPlan)
            {
                return checkedPlan;
            }
            fallback ??= PointInTimeDrillPlan.Any(tenant, window, now, random);
        }
        return fallback;
    }

    private async Task<(DrillOutcome Outcome, string Detail)> DrillAsync(string drilled, PointInTimeDrillPlan plan, CancellationToken ct)
    {
        var (tenant, target) = (plan.Tenant, plan.Target);
        var scratch = names.PointInTimeDrillDatabaseName(drilled, Guid.NewGuid());
        var what = $"tenant '{tenant.Slug}' to {target:O} from server '{plan.Source.Server}'";
        var restore = new TenantRestore
        {
            Id = Guid.NewGuid(), TenantId = tenant.Id, TenantSlug = tenant.Slug, SourceSlug = tenant.Slug, Server = plan.Source.Server,
            NewDatabase = scratch, RequestedBy = "drill", PointInTime = target, SourceServer = plan.Source.Server,
            SourceDatabase = plan.Source.Database, SourceRole = tenant.RoleName,
        };
        try
        {
            // As the provisioner, into a scratch database on the source server: the drill never touches the tenant's own database.
            var result = await restorer.RestoreAsync(restore, plan.Source.Server, scratch, TenantNaming.ProvisionerRole, tablespace: null, ct);
            if (result.ReachedAt is { } reached && reached > target)
            {
                return (DrillOutcome.Failed, $"{what}: replay went past the target (last transaction {reached:O})");
            }
            if (plan.Oracle is { } backup)
            {
                await using var source = connections.AdminIn(plan.Source.Server, scratch);
                await using var connection = await source.OpenConnectionAsync(ct);
                if (RowCounts.Compare(backup.RowCounts, await RowCounts.ReadAsync(connection, null, ct)) is { } difference)
                {
                    return (DrillOutcome.Failed, $"{what}: differs from backup {backup.Id} taken {backup.CreatedAt:O}, unchanged since: {difference}");
                }
                return (DrillOutcome.Passed, $"{what}: {result.Rows} rows, equal to backup {backup.Id} (the tenant asleep and unchanged since it)");
            }
            return (DrillOutcome.Passed, $"{what}: {result.Rows} rows, the restored copy equal to the recovered one");
        }
        catch (Exception e) when (e is BackupUnusableException or PgToolException or PgBackRestException or NpgsqlException or TimeoutException
                                  && !ct.IsCancellationRequested)
        {
            return (DrillOutcome.Failed, $"{what}: {Failures.Describe(e)}");
        }
        finally
        {
            await admin.DropDatabaseAsync(plan.Source.Server, scratch, CancellationToken.None);
        }
    }
}
