namespace TenantAspire.Tenancy.Catalog;

/// <summary>How a drill of a backup went: restored into a scratch database and compared with what the backup recorded.</summary>
public enum DrillOutcome { Passed, Failed }

/// <summary>
/// A row of <c>tenant_backups</c>: one <c>pg_dump --format=custom</c> of a tenant's database in the backup store. Written only after
/// the blob is committed, so a backup that died half-way is never recorded. Rows outlive their tenant for
/// <c>Backups:DeletedTenantGrace</c>; then blob and row are purged together (audited).
/// </summary>
public sealed class TenantBackup
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string TenantSlug { get; set; }
    public TenantTier Tier { get; set; }
    public required string Server { get; set; }

    /// <summary>The database dumped (a restore swaps in a database of another name).</summary>
    public required string DatabaseName { get; set; }

    /// <summary>The blob's name in the backups container.</summary>
    public required string BlobName { get; set; }
    public long Bytes { get; set; }

    /// <summary>SHA-256 of the blob's bytes, lower-case hex; every restore and drill checks it before trusting the dump.</summary>
    public required string Sha256 { get; set; }
    public string? SchemaVersion { get; set; }

    /// <summary>Rows per table, counted in the very snapshot pg_dump read (an exported snapshot).</summary>
    public Dictionary<string, long> RowCounts { get; set; } = [];

    /// <summary>
    /// The changed-only signal at the dump's start: the database's <c>tup_inserted + tup_updated + tup_deleted</c> from
    /// <c>pg_stat_database</c>, and that view's <c>stats_reset</c>. Unchanged since → no new dump.
    /// </summary>
    public long WriteCounter { get; set; }
    public DateTimeOffset? StatsReset { get; set; }

    /// <summary>
    /// The tenant's own writes (<c>n_tup_ins + n_tup_upd + n_tup_del</c> over <c>pg_stat_user_tables</c>), read in the dump's
    /// session: the confirmation when the database counter moved only from catalog churn (ANALYZE, autovacuum's statistics).
    /// </summary>
    public long UserWrites { get; set; }
    public int DurationMs { get; set; }

    /// <summary><c>schedule</c>, <c>manual</c> or <c>pre-restore</c>.</summary>
    public required string Trigger { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the tenant was deleted: its backups are purged <c>Backups:DeletedTenantGrace</c> after that.</summary>
    public DateTimeOffset? TenantDeletedAt { get; set; }
    public DateTimeOffset? DrilledAt { get; set; }
    public DrillOutcome? DrillOutcome { get; set; }
    public string? DrillError { get; set; }
}
