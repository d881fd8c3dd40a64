namespace TenantAspire.Tenancy.Catalog;

/// <summary>Within one server a move is <c>ALTER DATABASE … SET TABLESPACE</c>; between servers, logical replication.</summary>
public enum MoveMethod { Tablespace, Replication }

/// <summary>
/// Pending → Copying (replication: target built, initial copy and catch-up, the tenant served from the source) → CuttingOver
/// (requests held) → Switched (served from the target; the source kept closed for the grace) → Completed (source dropped).
/// Aborted: the cut-over took too long or the move was given up; the tenant stays on the source. Failed: retries exhausted.
/// </summary>
public enum MovePhase { Pending, Copying, CuttingOver, Switched, Completed, Aborted, Failed }

/// <summary>A row of <c>tenant_moves</c>: one tenant's move between servers or tablespaces, durable across worker crashes.</summary>
public sealed class TenantMove
{
    public static readonly MovePhase[] OpenPhases = [MovePhase.Pending, MovePhase.Copying, MovePhase.CuttingOver];

    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string TenantSlug { get; set; }
    public required string FromServer { get; set; }
    public string? FromTablespace { get; set; }
    public required string ToServer { get; set; }
    public required string ToTablespace { get; set; }
    /// <summary>
    /// The tenant's database the move copies (the same name on both servers), as it was when the move was asked for: a restore
    /// after the switch gives the tenant a new database on the target, while the source kept for the grace keeps this name.
    /// Null for moves recorded before the column existed (their tenant's current name is used).
    /// </summary>
    public string? DatabaseName { get; set; }

    /// <summary>The database this move copied: its own record, or for an older row the tenant's current one.</summary>
    public string DatabaseOf(Tenant tenant) => DatabaseName ?? tenant.DatabaseName;

    public MoveMethod Method { get; set; }
    public MovePhase Phase { get; set; }

    /// <summary>The tier the tenant has once moved (a tier change), or null (a drain keeps the tier).</summary>
    public TenantTier? ToTier { get; set; }

    /// <summary>Why: <c>tier</c> or <c>drain</c>.</summary>
    public required string Reason { get; set; }
    public required string RequestedBy { get; set; }
    public string? Error { get; set; }

    /// <summary>How long the tenant's requests were held in the cut-over.</summary>
    public int? PauseMs { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? SwitchedAt { get; set; }

    /// <summary>When the closed source database is dropped.</summary>
    public DateTimeOffset? DropSourceAfter { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}
