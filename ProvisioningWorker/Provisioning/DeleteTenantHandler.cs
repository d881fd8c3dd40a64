using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.ProvisioningWorker.Provisioning;

/// <summary>
/// Erases a tenant: database, role (and any copy a move or a restore left), cached routes and catalog row. The audit trail
/// stays; the slug becomes free; its backups are purged after Backups:DeletedTenantGrace; its exports are erased at once (a
/// download is a copy the customer asked for, not a recovery point).
/// </summary>
public sealed class DeleteTenantHandler(
    CatalogDbContext db,
    OperationLease lease, ServerAdmin admin, MoveLeftovers moves, RestoreLeftovers restores, ExportLeftovers exports, FaultInjector faults,
    TenantRouteCache routes, TimeProvider clock)
{
    public async Task RunAsync(TenantOperation operation, CancellationToken ct)
    {
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (tenant is null || tenant.Status != TenantStatus.Deleting)
        {
            return;
        }
        await OperationConflicts.CancelQueuedAsync(db, tenant.Id, "cancelled: the tenant is being deleted", clock.GetUtcNow(), ct);
        using (ProvisioningTelemetry.StartStep(ProvisioningSteps.DropDatabase, tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, ProvisioningSteps.DropDatabase, ct);
            await lease.EnsureHeldAsync(ct);
            await moves.RemoveAsync(tenant, ct); // copies on other servers a move left, and its replication
            await restores.RemoveAsync(tenant, ct); // a restore's databases; its backups are kept for the grace, then purged
            await exports.RemoveAsync(tenant, ct);
            await admin.DropDatabaseAsync(tenant.Server, tenant.DatabaseName, ct);
        }
        using (ProvisioningTelemetry.StartStep(ProvisioningSteps.DropRole, tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, ProvisioningSteps.DropRole, ct);
            await admin.DropRoleAsync(tenant.Server, tenant.RoleName, ct);
        }
        db.AuditEvents.Add(Audit.Event(tenant, "deleted", Audit.WorkerActor, clock.GetUtcNow()));
        db.Tenants.Remove(tenant);
        await lease.SaveChangesAsync(ct);
        await routes.InvalidateAsync(tenant.Slug, ct);
    }

    public async Task MarkFailedAsync(TenantOperation operation, string reason, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (tenant is not { Status: TenantStatus.Deleting })
        {
            return;
        }
        tenant.FailureReason = "delete failed: " + reason;
        TenantLifecycle.Apply(db, tenant, TenantAction.FailDelete, Audit.WorkerActor, clock.GetUtcNow(), reason);
        await lease.SaveChangesAsync(ct);
        await routes.InvalidateAsync(tenant.Slug, ct);
    }
}
