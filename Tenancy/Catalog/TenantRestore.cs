namespace TenantAspire.Tenancy.Catalog;

/// <summary>In place: the tenant's database is replaced (the old one kept for the undo window). Sibling: a new tenant gets the data.</summary>
public enum RestoreMode { InPlace, Sibling }

/// <summary>
/// Pending → Restoring (a new database is filled from the backup and verified; the tenant is served from its current one) →
/// Swapped (the tenant is served from the restored database; the previous one kept closed until <see cref="TenantRestore.UndoUntil"/>)
/// → Completed (previous dropped) or Undone (the previous database is back; the restored one dropped). Failed: nothing swapped.
/// </summary>
public enum RestorePhase { Pending, Restoring, Swapped, Completed, Undoing, Undone, Failed }

/// <summary>
/// A row of <c>tenant_restores</c>: one restore, durable across worker crashes, of a backup (<see cref="BackupId"/>) or of the
/// source tenant's database as it was at <see cref="PointInTime"/> (from its server's WAL archive).
/// </summary>
public sealed class TenantRestore
{
    public static readonly RestorePhase[] OpenPhases = [RestorePhase.Pending, RestorePhase.Restoring, RestorePhase.Undoing];

    public Guid Id { get; set; }

    /// <summary>The tenant whose database is replaced: the backup's own tenant, or the new sibling.</summary>
    public Guid TenantId { get; set; }
    public required string TenantSlug { get; set; }
    public Guid? BackupId { get; set; }

    /// <summary>The moment restored to (a point-in-time restore), instead of a backup.</summary>
    public DateTimeOffset? PointInTime { get; set; }

    /// <summary>A point-in-time restore's source: the server whose archive holds the moment, and the tenant's database there.</summary>
    public string? SourceServer { get; set; }
    public string? SourceDatabase { get; set; }

    /// <summary>The source tenant's role: the dump of the recovered copy reads as it (a sibling's own role does not exist there).</summary>
    public string? SourceRole { get; set; }

    /// <summary>What recovery reached: the last transaction replayed before the target (its commit time) and the WAL position.</summary>
    public DateTimeOffset? ReachedAt { get; set; }
    public string? WalPosition { get; set; }

    /// <summary>A point-in-time restore's milliseconds per step (<c>PointInTimeResult</c>); empty for a backup's restore.</summary>
    public Dictionary<string, long> StepsMs { get; set; } = [];

    /// <summary>The tenant the backup was taken of.</summary>
    public required string SourceSlug { get; set; }
    public RestoreMode Mode { get; set; }

    /// <summary>The server both databases are on (the tenant's at the restore; it may move later).</summary>
    public required string Server { get; set; }
    public RestorePhase Phase { get; set; }

    /// <summary>The database the backup is restored into (generated: <see cref="TenantNaming.RestoredDatabaseName"/>).</summary>
    public required string NewDatabase { get; set; }

    /// <summary>The database it replaced, kept closed for the undo window.</summary>
    public string? PreviousDatabase { get; set; }
    public DateTimeOffset? UndoUntil { get; set; }
    public long RowsVerified { get; set; }

    /// <summary>How long the tenant's requests were held for the swap.</summary>
    public int? PauseMs { get; set; }
    public required string RequestedBy { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? SwappedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}
