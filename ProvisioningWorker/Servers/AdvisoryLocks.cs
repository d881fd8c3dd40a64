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

    /// <summary>The archive pass (stanzas, base backups, recovery windows): one worker at a time.</summary>
    public const long ArchivePass = 727282;

    /// <summary>
    /// A server's scratch instance (point-in-time restores): one at a time per server, across workers. Taken with the server's
    /// number as the second key (<see cref="HoldForServerAsync"/>).
    /// </summary>
    public const int ScratchInstance = 727283;

    /// <summary>
    /// Takes the two-key session lock (<paramref name="lockId"/>, a stable number for <paramref name="server"/>) on the catalog
    /// connection of <paramref name="db"/> (a context of its own: the connection stays open while the lock is held), waiting for it
    /// or not (<paramref name="wait"/>). Returns what releases it, or null when another worker holds it.
    /// </summary>
    public static async Task<IAsyncDisposable?> HoldForServerAsync(TenantAspire.Tenancy.Catalog.CatalogDbContext db, int lockId, string server,
        bool wait, CancellationToken ct)
    {
        var key = BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(server)));
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var held = wait
                ? await db.Database.SqlQuery<bool>($"SELECT true AS \"Value\" FROM pg_advisory_lock({lockId}, {key})").SingleAsync(ct)
                : await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_lock({lockId}, {key}) AS \"Value\"").SingleAsync(ct);
            if (held)
            {
                return new Release(db, lockId, key);
            }
        }
        catch
        {
            await db.Database.CloseConnectionAsync();
            throw;
        }
        await db.Database.CloseConnectionAsync();
        return null;
    }

    private sealed class Release(TenantAspire.Tenancy.Catalog.CatalogDbContext db, int lockId, int key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({lockId}, {key})", CancellationToken.None);
            }
            finally
            {
                await db.Database.CloseConnectionAsync(); // a session lock also ends with its session
            }
        }
    }

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
