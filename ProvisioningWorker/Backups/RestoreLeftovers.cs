using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>
/// A deleted tenant's restore databases (one being filled, one kept for an undo) are dropped with it; its backups stay for
/// <see cref="BackupOptions.DeletedTenantGrace"/>, marked so the clean-up purges them then. Restores not finished end failed; swapped ones complete.
/// </summary>
public sealed class RestoreLeftovers(CatalogDbContext db, ServerAdmin admin, TimeProvider clock)
{
    public async Task RemoveAsync(Tenant tenant, CancellationToken ct)
    {
        var restores = await db.Restores.AsNoTracking().Where(r => r.TenantId == tenant.Id).ToListAsync(ct);
        foreach (var (server, database) in restores.SelectMany(r => new[] { (r.Server, r.NewDatabase), (r.Server, r.PreviousDatabase) })
                     .Where(d => d.Item2 is not null && d.Item2 != tenant.DatabaseName).Distinct())
        {
            await admin.DropDatabaseAsync(server, database!, ct);
        }
        var now = clock.GetUtcNow();
        await db.Backups.Where(b => b.TenantId == tenant.Id && b.TenantDeletedAt == null)
            .ExecuteUpdateAsync(b => b.SetProperty(x => x.TenantDeletedAt, now), ct);
        await db.Restores.Where(r => r.TenantId == tenant.Id && TenantRestore.OpenPhases.Contains(r.Phase))
            .ExecuteUpdateAsync(r => r
                .SetProperty(x => x.Phase, RestorePhase.Failed)
                .SetProperty(x => x.Error, "the tenant was deleted")
                .SetProperty(x => x.UpdatedAt, now)
                .SetProperty(x => x.CompletedAt, now), ct);
        // A swapped restore's kept database was dropped above with the rest: it is complete, not waiting for its undo window
        // (whose operation the delete cancelled).
        await db.Restores.Where(r => r.TenantId == tenant.Id && r.Phase == RestorePhase.Swapped)
            .ExecuteUpdateAsync(r => r
                .SetProperty(x => x.Phase, RestorePhase.Completed)
                .SetProperty(x => x.UpdatedAt, now)
                .SetProperty(x => x.CompletedAt, now), ct);
    }
}
