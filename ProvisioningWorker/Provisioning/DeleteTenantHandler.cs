using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.ProvisioningWorker.Provisioning;

/// <summary>
/// Erases a tenant: database, role (and any copy a move or a restore left), cached routes and catalog row. The audit trail
/// stays; the slug becomes free; its backups are purged after Backups:DeletedTenantGrace.
/// </summary>
public sealed class DeleteTenantHandler(
    CatalogDbContext db,
    OperationLease lease, ServerAdmin admin, MoveLeftovers moves, RestoreLeftovers restores, FaultInjector faults, TenantRouteCache routes,
    TimeProvider clock)
{
    public async Task RunAsync(TenantOperation operation, CancellationToken ct)
    {
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (tenant is null || tenant.Status != TenantStatus.Deleting)
        {
            return;
        }
        using (ProvisioningTelemetry.StartStep(ProvisioningSteps.DropDatabase, tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, ProvisioningSteps.DropDatabase, ct);
            await lease.EnsureHeldAsync(ct);
            await moves.RemoveAsync(tenant, ct); // copies on other servers a move left, and its replication
            await restores.RemoveAsync(tenant, ct); // a restore's databases; its backups are kept for the grace, then purged
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
        if (tenant is null)
        {
            return;
        }
        tenant.Status = TenantStatus.Failed;
        tenant.FailureReason = "delete failed: " + reason;
        tenant.UpdatedAt = clock.GetUtcNow();
        db.AuditEvents.Add(Audit.Event(tenant, "delete-failed", Audit.WorkerActor, tenant.UpdatedAt, reason));
        await lease.SaveChangesAsync(ct);
        await routes.InvalidateAsync(tenant.Slug, ct);
    }
}
