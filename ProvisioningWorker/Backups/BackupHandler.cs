using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>
/// An admin's "back this tenant up now": a dump whether or not the tenant changed (the scheduler's pass skips unchanged ones).
/// Also finishes a pass's dump whose worker died (its inline operation's lease ran out and the queue claimed it).
/// </summary>
public sealed class BackupHandler(CatalogDbContext db, BackupRunner runner)
{
    public const string ManualTrigger = "manual";

    public async Task RunAsync(TenantOperation operation, CancellationToken ct)
    {
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (tenant is null || tenant.Status is TenantStatus.Deleting or TenantStatus.Failed or TenantStatus.Provisioning)
        {
            return;
        }
        if (tenant.Status is not (TenantStatus.Active or TenantStatus.Suspended or TenantStatus.Hibernated))
        {
            throw new InvalidOperationException($"tenant '{tenant.Slug}' is {tenant.Status.ToString().ToLowerInvariant()}; retried when it is back");
        }
        await runner.RunAsync(BackupTarget.From(tenant), ManualTrigger, ct);
    }
}
