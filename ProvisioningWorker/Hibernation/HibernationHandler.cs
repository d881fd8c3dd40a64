using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.ProvisioningWorker.Hibernation;

/// <summary>
/// Hibernate: the catalog says <c>hibernated</c> first (from then on the API answers 503 + Retry-After and asks for a wake), then
/// the database is closed to connections and the tenant's sessions end; then, if it wrote since its newest backup, a final backup
/// is taken (so a sleeping tenant's writes are never only on its server). Wake: the database opens, is migrated if a rollout
/// went past it while it slept, then the catalog says <c>active</c>. Both are idempotent: a retry after a crash finishes what the first attempt started.
/// </summary>
public sealed class HibernationHandler(
    CatalogDbContext db, OperationLease lease, ServerAdmin admin, FaultInjector faults, TenantRouteCache routes,
    SchemaTargets targets, TenantMigrator migrator, RolloutStore rollouts, BackupRunner backups, WriteCounters counters, MoveSql sql,
    TimeProvider clock)
{
    public async Task HibernateAsync(TenantOperation operation, CancellationToken ct)
    {
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (tenant is null || tenant.Status is not (TenantStatus.Active or TenantStatus.Hibernated))
        {
            return; // suspended, deleting or gone meanwhile: nothing to hibernate
        }
        if (tenant.Status == TenantStatus.Active)
        {
            await SetStatusAsync(tenant, TenantAction.Hibernate, ct);
        }
        using (ProvisioningTelemetry.StartStep(ProvisioningSteps.CloseDatabase, tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, ProvisioningSteps.CloseDatabase, ct);
            await admin.CloseDatabaseAsync(tenant.Server, tenant.DatabaseName, ct);
        }
        await FinalBackupAsync(tenant, ct);
    }

    /// <summary>The trigger of a backup taken as a tenant hibernates.</summary>
    public const string HibernateTrigger = "hibernate";

    /// <summary>
    /// Once the tenant's sessions have ended (a session reports its last writes to the statistics as it exits), the database's
    /// write counter says whether anything is newer than the newest backup; if so, one more dump, with the database opened for
    /// it only.
    /// </summary>
    private async Task FinalBackupAsync(Tenant tenant, CancellationToken ct)
    {
        await sql.WaitUntilGoneAsync(tenant.Server, tenant.DatabaseName, clock.GetUtcNow() + TimeSpan.FromSeconds(5), clock, ct);
        var last = await backups.LastAsync(tenant.Id, ct);
        var signal = await counters.ReadAsync(tenant.Server, tenant.DatabaseName, ct);
        if (!BackupPolicy.HasUnsavedWrites(last, tenant.Server, tenant.DatabaseName, tenant.SchemaVersion, signal))
        {
            return;
        }
        await backups.RunAsync(BackupTarget.From(tenant), HibernateTrigger, ct);
    }

    public async Task WakeAsync(TenantOperation operation, CancellationToken ct)
    {
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (tenant is null || tenant.Status != TenantStatus.Hibernated)
        {
            return; // already awake (a duplicate wake), or no longer ours to wake
        }
        using (ProvisioningTelemetry.StartStep(ProvisioningSteps.OpenDatabase, tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, ProvisioningSteps.OpenDatabase, ct);
            await admin.OpenDatabaseAsync(tenant.Server, tenant.DatabaseName, ct);
        }
        // A rollout deferred it while it slept: migrated before its first request is served (the request is held meanwhile).
        var target = await targets.FleetAsync(db, ct);
        if (TenantMigrations.IsBehind(tenant.SchemaVersion, target))
        {
            using (ProvisioningTelemetry.StartStep(ProvisioningSteps.Migrate, tenant.Slug))
            {
                var result = await migrator.MigrateAsync(tenant, target, ct);
                TenantVersions.Apply(db, tenant, result, Audit.WorkerActor, clock.GetUtcNow());
                await rollouts.RecordOutsideAsync(tenant.Id, result, ct);
            }
        }
        await SetStatusAsync(tenant, TenantAction.Wake, ct);
    }

    private async Task SetStatusAsync(Tenant tenant, TenantAction action, CancellationToken ct)
    {
        TenantLifecycle.Apply(db, tenant, action, Audit.WorkerActor, clock.GetUtcNow());
        await lease.SaveChangesAsync(ct); // xmin: a concurrent suspend or delete makes this attempt fail and retry on fresh state
        await routes.PublishAsync(tenant, ct);
    }
}
