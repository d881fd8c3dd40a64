namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>What the scheduler knows of a tenant's newest backup.</summary>
public sealed record LastBackup(
    DateTimeOffset At, string Server, string Database, string? SchemaVersion, long WriteCounter, DateTimeOffset? StatsReset, long UserWrites = 0)
{
    public static LastBackup From(TenantAspire.Tenancy.Catalog.TenantBackup b) =>
        new(b.CreatedAt, b.Server, b.DatabaseName, b.SchemaVersion, b.WriteCounter, b.StatsReset, b.UserWrites);
}

/// <summary>
/// The changed-only signal: Postgres' own per-database counters (<c>pg_stat_database</c>: tuples inserted + updated + deleted,
/// and when they were last reset), read for a whole server in one query. A write always moves them; reading them costs nothing
/// inside tenant databases. Statistics reach the view up to some seconds late, which is safe because the signal is read before
/// the dump: a write it missed is either in the dump already or moves the counter for the next pass. The database counter also
/// moves with catalog churn (an ANALYZE rewrites pg_statistic rows); when only it moved, <see cref="UserWrites"/> (the tenant's
/// own tables, read inside its database: one connection) confirms whether the tenant wrote.
/// </summary>
public sealed record WriteSignal(long Counter, DateTimeOffset? StatsReset, long? UserWrites = null);

public enum BackupDecision { NotDue, Unchanged, First, Changed }

/// <summary>The scheduler's decisions, pure (unit-tested with a fake clock): is a tenant due, has it changed, which backups go.</summary>
public static class BackupPolicy
{
    public static BackupDecision Decide(BackupTierPolicy tier, LastBackup? last, string server, string database, string? schemaVersion,
        WriteSignal? signal, DateTimeOffset now)
    {
        if (last is null)
        {
            return BackupDecision.First;
        }
        // No signal (statistics unreadable) counts as changed: a needless dump is cheaper than a missed one.
        var same = SamePlace(last, server, database, schemaVersion, signal)
                   && (last.WriteCounter == signal!.Counter || signal.UserWrites is { } user && user == last.UserWrites);
        if (same)
        {
            return BackupDecision.Unchanged;
        }
        return now - last.At < tier.Interval ? BackupDecision.NotDue : BackupDecision.Changed;
    }

    /// <summary>
    /// Whether writes may exist that the newest backup does not hold, from the database counter alone (no connection into the
    /// database: it may be closed). Unreadable statistics count as unsaved.
    /// </summary>
    public static bool HasUnsavedWrites(LastBackup? last, string server, string database, string? schemaVersion, WriteSignal? signal) =>
        last is null || !SamePlace(last, server, database, schemaVersion, signal) || last.WriteCounter != signal!.Counter;

    /// <summary>
    /// True when only the database's write counter moved since the newest backup (same database, schema and statistics epoch):
    /// worth reading the tenant's own table counters before dumping it again.
    /// </summary>
    public static bool NeedsUserWrites(LastBackup? last, string server, string database, string? schemaVersion, WriteSignal? signal) =>
        last is not null && SamePlace(last, server, database, schemaVersion, signal) && last.WriteCounter != signal!.Counter
        && signal.UserWrites is null;

    private static bool SamePlace(LastBackup last, string server, string database, string? schemaVersion, WriteSignal? signal) =>
        signal is not null && last.Server == server && last.Database == database && last.SchemaVersion == schemaVersion
        && last.StatsReset == signal.StatsReset;

    /// <summary>
    /// Backups to delete, from a tenant's backups newest first: those beyond <see cref="BackupTierPolicy.Keep"/>, and those older
    /// than <see cref="BackupTierPolicy.MaxAge"/>; never the newest (a tenant that stopped writing keeps its last backup).
    /// </summary>
    public static IReadOnlyList<Guid> Expired(BackupTierPolicy tier, IReadOnlyList<(Guid Id, DateTimeOffset At)> newestFirst, DateTimeOffset now) =>
        [.. newestFirst.Skip(1).Where((b, i) => i + 1 >= Math.Max(1, tier.Keep) || now - b.At > tier.MaxAge).Select(b => b.Id)];

    /// <summary>
    /// How old the writes are that no backup holds yet: zero for a tenant unchanged since its newest backup, else that backup's age
    /// (or the tenant's own age when it has none). The per-tier maximum is the age an SRE watches against the tier's interval.
    /// </summary>
    public static TimeSpan ExposedFor(BackupDecision decision, LastBackup? last, DateTimeOffset createdAt, DateTimeOffset now) => decision switch
    {
        BackupDecision.Unchanged => TimeSpan.Zero,
        _ when last is null => now - createdAt,
        _ => now - last.At,
    };
}
