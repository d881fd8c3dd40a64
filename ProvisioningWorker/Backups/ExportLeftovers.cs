using TenantAspire.Tenancy.Backups;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>
/// A deleted tenant's exports: blobs erased, rows kept as a record (expired, or failed if never made). Blob first, then the row,
/// as in the clean-up: a crash in between leaves a row whose blob is gone, never a blob no row names.
/// </summary>
public sealed class ExportLeftovers(CatalogDbContext db, BackupStore store, TimeProvider clock)
{
    public async Task RemoveAsync(Tenant tenant, CancellationToken ct)
    {
        var exports = await db.Exports.Where(e => e.TenantId == tenant.Id && e.State != ExportState.Expired && e.State != ExportState.Failed)
            .ToListAsync(ct);
        var now = clock.GetUtcNow();
        foreach (var export in exports)
        {
            await store.DeleteAsync(BackupStore.ExportsContainer, export.BlobName ?? BackupStore.ExportBlobName(tenant.Id, export.Id), ct);
            if (export.State == ExportState.Succeeded)
            {
                export.State = ExportState.Expired;
                export.ExpiresAt = now;
            }
            else
            {
                export.State = ExportState.Failed;
                export.Error = "the tenant was deleted";
                export.CompletedAt = now;
            }
        }
        await db.SaveChangesAsync(ct);
    }
}
