using TenantAspire.Tenancy.Backups;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Archiving;

/// <summary>
/// One point-in-time drill: the tenant, the moment, and what the restored copy must equal — a snapshot backup's row counts when
/// the tenant cannot have changed since that backup (<see cref="Oracle"/>), else nothing beyond the restore's own verification
/// (the dump restored equals the recovered copy).
/// </summary>
public sealed record PointInTimeDrillPlan(Tenant Tenant, Placement Source, DateTimeOffset Target, TenantBackup? Oracle)
{
    /// <summary>
    /// Pure: a hibernated tenant whose database is closed and unchanged since its newest snapshot backup (the final backup as it
    /// went to sleep, or an older one when nothing was written after it) can be restored to any moment from then on and must come
    /// back exactly as that backup: its row counts are the oracle. The moment is drawn at random from the part of its window where
    /// that holds; null when there is none.
    /// </summary>
    public static PointInTimeDrillPlan? Hibernated(Tenant tenant, TenantBackup? newest, RecoveryWindow window, DateTimeOffset now, Random random)
    {
        if (tenant.Status != TenantStatus.Hibernated || newest is null || window.Earliest is not { } earliest
            || newest.Server != tenant.Server || newest.DatabaseName != tenant.DatabaseName)
        {
            return null;
        }
        var from = new[] { earliest, newest.CreatedAt, tenant.UpdatedAt }.Max(); // asleep (UpdatedAt: its last transition) and backed up
        return Between(from, now - TimeSpan.FromSeconds(1), random) is { } target
            ? new(tenant, window.SourceAt(target).Placement, target, newest)
            : null;
    }

    /// <summary>Pure: any tenant with a window, at a random moment of it, checked by the restore's own verification only.</summary>
    public static PointInTimeDrillPlan? Any(Tenant tenant, RecoveryWindow window, DateTimeOffset now, Random random) =>
        window.Earliest is { } earliest && Between(earliest, now - TimeSpan.FromSeconds(1), random) is { } target
            ? new(tenant, window.SourceAt(target).Placement, target, null)
            : null;

    private static DateTimeOffset? Between(DateTimeOffset from, DateTimeOffset to, Random random) =>
        to <= from ? null : from + TimeSpan.FromTicks((long)(random.NextDouble() * (to - from).Ticks));
}
