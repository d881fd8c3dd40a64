using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.ProvisioningWorker.Hibernation;

/// <summary>
/// Work that needs a hibernated tenant awake (a move's copy, a restore's swap) wakes it first, inside the same operation: the
/// database opens, the catalog says active, every API replica is told. The monitor puts it back to sleep once it is idle again.
/// </summary>
public sealed class TenantWakeUp(CatalogDbContext db, OperationLease lease, ServerAdmin admin, TenantRouteCache routes, TimeProvider clock)
{
    public async Task WakeForAsync(Tenant tenant, string why, CancellationToken ct)
    {
        if (tenant.Status != TenantStatus.Hibernated)
        {
            return;
        }
        await admin.OpenDatabaseAsync(tenant.Server, tenant.DatabaseName, ct);
        TenantLifecycle.Apply(db, tenant, TenantAction.Wake, Audit.WorkerActor, clock.GetUtcNow(), why);
        await lease.SaveChangesAsync(ct);
        await routes.PublishAsync(tenant, ct);
    }
}
