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
    /// A server's scratch instance (point-in-time restores): one at a time per server, across workers and across catalogs sharing
    /// the server. Taken on the server's maintenance database (<see cref="HoldOnServerAsync"/>), not on a catalog.
    /// </summary>
    public const long ScratchInstance = 727283;

    /// <summary>
    /// Takes the session lock <paramref name="lockId"/> on <paramref name="connection"/> (open, on a server's maintenance database:
    /// advisory locks are per database, and every catalog's workers reach that one), waiting for it or not
    /// (<paramref name="wait"/>). The result owns the connection and releases both; null (connection closed) when another
    /// session holds the lock.
    /// </summary>
    public static async Task<IAsyncDisposable?> HoldOnServerAsync(Npgsql.NpgsqlConnection connection, long lockId, bool wait, CancellationToken ct)
    {
        try
        {
            await using var command = new Npgsql.NpgsqlCommand(wait ? "SELECT true FROM pg_advisory_lock($1)" : "SELECT pg_try_advisory_lock($1)", connection);
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = lockId });
            if (await command.ExecuteScalarAsync(ct) is true)
            {
                return new Release(connection, lockId);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        await connection.DisposeAsync();
        return null;
    }

    private sealed class Release(Npgsql.NpgsqlConnection connection, long lockId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var command = new Npgsql.NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
                command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = lockId });
                await command.ExecuteScalarAsync(CancellationToken.None);
            }
            finally
            {
                await connection.DisposeAsync(); // a session lock also ends with its session
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
