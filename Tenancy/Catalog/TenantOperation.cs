namespace TenantAspire.Tenancy.Catalog;

public enum OperationKind
{
    Provision, Delete, Hibernate, Wake,

    /// <summary>Bring one tenant to the newest tenant migration now: asked by a request that needs a newer schema than it has.</summary>
    Upgrade,

    /// <summary>Carry out the tenant's open <see cref="TenantMove"/>, phase by phase.</summary>
    Move,

    /// <summary>After a move's grace: drop the closed source database (queued to run then).</summary>
    DropMoveSource,

    /// <summary>Back the tenant up now (asked by an admin), whether or not it changed since its last backup.</summary>
    Backup,

    /// <summary>Carry out the tenant's open <see cref="TenantRestore"/> (restore into a new database, verify, swap).</summary>
    Restore,

    /// <summary>Swap a restored tenant back to the database it had before (within the undo window).</summary>
    UndoRestore,

    /// <summary>After a restore's undo window: drop the database it replaced (queued to run then).</summary>
    DropRestorePrevious,

    /// <summary>Make the tenant's pending exports (pg_dump into the store).</summary>
    Export,

    /// <summary>
    /// Bring the tenant's custom-field indexes in line with its definitions (build pending ones CONCURRENTLY, drop unwanted or
    /// invalid ones, rebuild any a move left behind). Idempotent: it reads what to do from the tenant's database when it runs.
    /// </summary>
    CustomIndexes,
}

/// <summary>Cancelled: queued work a delete made pointless (it never ran).</summary>
public enum OperationState { Pending, Running, Succeeded, Failed, Cancelled }

/// <summary>A durable unit of work for the provisioning worker; claimed with a lease so a crashed worker's job is resumed.</summary>
public sealed class TenantOperation
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public OperationKind Kind { get; set; }
    public OperationState State { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public string? LeasedBy { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>W3C trace context of the request that asked for it, so the worker's span joins the request's trace.</summary>
    public string? TraceParent { get; set; }

    /// <summary>W3C baggage of that request (tenant.id), restored by the worker so its spans carry the tenant.</summary>
    public string? Baggage { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>When the current (or last) attempt was claimed.</summary>
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}
