using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>
/// Brings one tenant to this build's newest migration now, out of ring order: queued by a request to an endpoint that needs a newer
/// schema than the tenant has (the request is held meanwhile). The code cannot serve that endpoint otherwise, whatever the rollout's
/// state. A hibernated tenant is left to its wake, which migrates it too.
/// </summary>
public sealed class UpgradeTenantHandler(
    CatalogDbContext db, OperationLease lease, TenantMigrator migrator, SchemaTargets targets, RolloutStore rollouts,
    FaultInjector faults, TenantRouteCache routes, TimeProvider clock)
{
    public async Task RunAsync(TenantOperation operation, CancellationToken ct)
    {
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (tenant?.Status is not (TenantStatus.Active or TenantStatus.Suspended) || !TenantMigrations.IsBehind(tenant.SchemaVersion, targets.Newest))
        {
            return;
        }
        using (ProvisioningTelemetry.StartStep(ProvisioningSteps.Migrate, tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, ProvisioningSteps.Migrate, ct);
            var result = await migrator.MigrateAsync(tenant, targets.Newest, ct);
            TenantVersions.Apply(db, tenant, result, Audit.WorkerActor, clock.GetUtcNow());
            await rollouts.RecordOutsideAsync(tenant.Id, result, ct);
        }
        await lease.SaveChangesAsync(ct);
        await routes.PublishAsync(tenant, ct);
    }
}
