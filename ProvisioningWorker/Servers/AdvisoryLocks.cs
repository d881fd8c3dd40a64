namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>
/// Every Postgres advisory-lock id the worker takes, in one place, so two features can never pick the same number by accident.
/// Session locks on the catalog serialise work that several worker replicas would otherwise do twice.
/// </summary>
public static class AdvisoryLocks
{
    /// <summary>Catalog migrations at start-up (two workers starting together both ran the same migration without it).</summary>
    public const long CatalogMigration = 727273;

    /// <summary>Server bootstrap: the provisioning roles, the API's catalog role and the shared databases' grants.</summary>
    public const long ServerBootstrap = 727274;

    /// <summary>Demo tenants, seeded once in Development.</summary>
    public const long DemoSeed = 727275;

    /// <summary>The spare-database refill: one worker clones at a time.</summary>
    public const long SpareRefill = 727276;

    /// <summary>The hibernation scan: one scanning worker at a time.</summary>
    public const long HibernationScan = 727277;

    /// <summary>
    /// A tenant's migration, taken inside the tenant's own database (advisory locks are per database): two workers, or a rollout
    /// and a wake, never migrate the same tenant at once.
    /// </summary>
    public const long TenantMigration = 727278;

    /// <summary>Drain planning: one worker at a time picks the next tenants to move off draining servers (catalog).</summary>
    public const long Drain = 727279;

    /// <summary>The backup scheduler's pass (and its drills and clean-up): one worker at a time.</summary>
    public const long BackupPass = 727280;

    /// <summary>The orphan sweep (slots, subscriptions and roles left by crashes): one worker at a time.</summary>
    public const long OrphanSweep = 727281;

    /// <summary>
    /// Runs <paramref name="work"/> under a session advisory lock on the catalog if no other worker holds it (false: it does, and
    /// nothing ran). The context's connection stays open for the lock's life.
    /// </summary>
    public static async Task<bool> TryHoldAsync(TenantAspire.Tenancy.Catalog.CatalogDbContext db, long lockId, Func<Task> work, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            if (!await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_lock({lockId}) AS \"Value\"").SingleAsync(ct))
            {
                return false;
            }
            try
            {
                await work();
                return true;
            }
            finally
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({lockId})", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
