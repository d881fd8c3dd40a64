using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Backups;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>
/// The store's clean-up after each backup pass: backups past their tier's retention (<see cref="BackupPolicy.Expired"/>), a
/// deleted tenant's backups once <see cref="BackupOptions.DeletedTenantGrace"/> has passed (the erasure is audited), and exports
/// past their download window. The blob goes first, then the row: a crash in between leaves a row whose blob is gone (a restore
/// of it refuses clearly), never a blob no row can find again.
/// </summary>
public sealed class BackupHousekeeping(CatalogDbContext db, BackupStore store, IOptions<BackupOptions> options, TimeProvider clock,
    ILogger<BackupHousekeeping> logger)
{
    public async Task RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await PruneAsync(now, ct);
        await PurgeDeletedAsync(now, ct);
        await ExpireExportsAsync(now, ct);
    }

    private async Task PruneAsync(DateTimeOffset now, CancellationToken ct)
    {
        var live = await db.Backups.AsNoTracking().Where(b => b.TenantDeletedAt == null)
            .Select(b => new { b.Id, b.TenantId, b.Tier, b.CreatedAt, b.BlobName }).ToListAsync(ct);
        // A backup an accepted restore has yet to read stays until it has (or the restore has failed): a 202 for a restore
        // must not turn into "backup no longer exists" because retention came first.
        var wanted = (await db.Restores.AsNoTracking()
            .Where(r => r.Phase == RestorePhase.Pending || r.Phase == RestorePhase.Restoring)
            .Where(r => r.BackupId != null).Select(r => r.BackupId!.Value).ToListAsync(ct)).ToHashSet();
        var expired = live.GroupBy(b => b.TenantId).SelectMany(tenant =>
        {
            var newestFirst = tenant.OrderByDescending(b => b.CreatedAt).ToList();
            var policy = options.Value.For(newestFirst[0].Tier);
            var ids = BackupPolicy.Expired(policy, [.. newestFirst.Select(b => (b.Id, b.CreatedAt))], now).ToHashSet();
            return newestFirst.Where(b => ids.Contains(b.Id) && !wanted.Contains(b.Id));
        }).ToList();
        foreach (var backup in expired)
        {
            await store.DeleteAsync(BackupStore.BackupsContainer, backup.BlobName, ct);
            await db.Backups.Where(b => b.Id == backup.Id).ExecuteDeleteAsync(ct);
        }
        if (expired.Count > 0)
        {
            logger.LogInformation("Retention: {Count} backup(s) deleted", expired.Count);
        }
    }

    private async Task PurgeDeletedAsync(DateTimeOffset now, CancellationToken ct)
    {
        var cutoff = now - options.Value.DeletedTenantGrace;
        var purge = await db.Backups.AsNoTracking().Where(b => b.TenantDeletedAt != null && b.TenantDeletedAt <= cutoff)
            .Select(b => new { b.Id, b.TenantId, b.TenantSlug }).ToListAsync(ct);
        foreach (var tenant in purge.GroupBy(b => (b.TenantId, b.TenantSlug)))
        {
            // The tenant's whole folder: its backups' blobs, and any blob no row names (a dump whose worker died between its
            // commit and its row).
            await store.DeletePrefixAsync(BackupStore.BackupsContainer, BackupStore.TenantPrefix(tenant.Key.TenantId), ct);
            var ids = tenant.Select(b => b.Id).ToList();
            // The rows go with the erasure's audit event, in one transaction: no one sees them gone unaudited, and a worker that
            // dies in between leaves both for the next pass (whose prefix delete finds nothing left to delete).
            await db.InTransactionAsync(async token =>
            {
                await db.Backups.Where(b => ids.Contains(b.Id)).ExecuteDeleteAsync(token);
                db.AuditEvents.Add(new AuditEvent
                {
                    TenantId = tenant.Key.TenantId,
                    TenantSlug = tenant.Key.TenantSlug,
                    Action = "backups-purged",
                    Actor = Audit.WorkerActor,
                    At = now,
                    Detail = $"{ids.Count} backup(s) of the deleted tenant erased after the grace of {options.Value.DeletedTenantGrace}",
                });
                return await db.SaveChangesAsync(token);
            }, ct);
            logger.LogInformation("Purged {Count} backup(s) of deleted tenant {Tenant}", ids.Count, tenant.Key.TenantSlug);
        }
    }

    private async Task ExpireExportsAsync(DateTimeOffset now, CancellationToken ct)
    {
        var expired = await db.Exports.Where(e => e.State == ExportState.Succeeded && e.ExpiresAt <= now).ToListAsync(ct);
        foreach (var export in expired)
        {
            await store.DeleteAsync(BackupStore.ExportsContainer, export.BlobName!, ct);
            export.State = ExportState.Expired;
        }
        await db.SaveChangesAsync(ct);
    }
}
