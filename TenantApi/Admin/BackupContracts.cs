using TenantAspire.Tenancy.Backups;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.TenantApi.Admin;

/// <summary>The newest drill of a backup: restored into a scratch database and compared with what the backup recorded.</summary>
public sealed record DrillDto(DateTimeOffset At, DrillOutcome Outcome, string? Error);

/// <summary>
/// A tenant backup in the store: checksum, rows per table and schema version as recorded at the dump. <c>tenantId</c> tells apart
/// two tenants that had the same slug; <c>tenantDeleted</c> says its tenant is gone (the backup is kept for the grace).
/// </summary>
public sealed record BackupDto(
    Guid Id, string Tenant, Guid TenantId, bool TenantDeleted, TenantTier Tier, DateTimeOffset CreatedAt, long Bytes, string Sha256,
    string? SchemaVersion, IReadOnlyDictionary<string, long> RowCounts, int DurationMs, string Trigger, DrillDto? Drill)
{
    public static BackupDto From(TenantBackup b) => new(b.Id, b.TenantSlug, b.TenantId, b.TenantDeletedAt is not null, b.Tier, b.CreatedAt,
        b.Bytes, b.Sha256, b.SchemaVersion, b.RowCounts, b.DurationMs, b.Trigger,
        b is { DrilledAt: { } at, DrillOutcome: { } outcome } ? new DrillDto(at, outcome, b.DrillError) : null);
}

/// <summary>
/// A restore of a backup (<c>backupId</c>) or to a moment (<c>pointInTime</c>, RFC 3339; exactly one of the two): <c>asSlug</c>
/// restores into a new sibling tenant of that slug instead of in place.
/// </summary>
public sealed record RestoreRequest(Guid? BackupId, string? AsSlug, DateTimeOffset? PointInTime = null);

/// <summary>
/// A restore. A point-in-time restore has <c>pointInTime</c> (asked), <c>reachedAt</c> (the commit time of the last transaction
/// recovery replayed before it) and <c>walPosition</c> (where recovery stopped); a backup's restore has <c>backupId</c>.
/// </summary>
public sealed record RestoreDto(
    Guid Id, string Tenant, Guid? BackupId, string SourceTenant, RestoreMode Mode, RestorePhase Phase, long RowsVerified, int? PauseMs,
    DateTimeOffset? UndoUntil, string RequestedBy, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? SwappedAt, DateTimeOffset? CompletedAt,
    DateTimeOffset? PointInTime, DateTimeOffset? ReachedAt, string? WalPosition, string? SourceServer, IReadOnlyDictionary<string, long> StepsMs)
{
    public static RestoreDto From(TenantRestore r) => new(r.Id, r.TenantSlug, r.BackupId, r.SourceSlug, r.Mode, r.Phase, r.RowsVerified,
        r.PauseMs, r.UndoUntil, r.RequestedBy, r.Error, r.CreatedAt, r.SwappedAt, r.CompletedAt, r.PointInTime, r.ReachedAt, r.WalPosition,
        r.PointInTime is null ? null : r.SourceServer, r.StepsMs);
}

/// <summary>
/// A tenant's point-in-time window: any moment from <c>earliest</c> to now can be restored (null <c>earliest</c>: its server has no
/// WAL archive or no base backup yet). <c>archivedUntil</c> is when the server's newest WAL segment reached the archive: every write
/// acknowledged before it survives the loss of the server; <c>archiveLagSeconds</c> is how long ago that was (the RPO now).
/// <c>history</c>: where the tenant lived when, oldest first; a moment is restored from the server that held it then.
/// </summary>
public sealed record RecoveryDto(string Tenant, string Server, DateTimeOffset? Earliest, DateTimeOffset Latest, DateTimeOffset? ArchivedUntil,
    double? ArchiveLagSeconds, string? ArchiveError, IReadOnlyList<PlacementDto> History);

/// <summary>One placement of a tenant: its server and database from <c>from</c> until <c>to</c> (null: now), and how far back that server's archive reaches.</summary>
public sealed record PlacementDto(string Server, string Database, DateTimeOffset From, DateTimeOffset? To, DateTimeOffset? RecoverableFrom)
{
    public static PlacementDto Of(RecoverablePlacement p) =>
        new(p.Placement.Server, p.Placement.Database, p.Placement.From, p.Placement.To, p.RecoverableFrom);
}

/// <summary>One backup pass of the worker over the fleet.</summary>
public sealed record BackupPassDto(
    Guid Id, string Trigger, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, int Considered, int BackedUp, int Unchanged, int NotDue,
    int Failed, long Bytes, string? Error)
{
    public static BackupPassDto From(BackupPass p) => new(p.Id, p.Trigger, p.StartedAt, p.FinishedAt, p.Considered, p.BackedUp, p.Unchanged,
        p.NotDue, p.Failed, p.Bytes, p.Error);
}

/// <summary>An export: when <c>state</c> is succeeded, <c>download</c> streams it (until <c>expiresAt</c>).</summary>
public sealed record ExportDto(
    Guid Id, string Tenant, ExportState State, long? Bytes, string? Sha256, string? Download, string? Error, DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt, DateTimeOffset? ExpiresAt)
{
    public static ExportDto From(TenantExport e) => new(e.Id, e.TenantSlug, e.State, e.Bytes, e.Sha256,
        e.State == ExportState.Succeeded ? $"/api/tenants/{e.TenantSlug}/exports/{e.Id}/download" : null, e.Error, e.CreatedAt,
        e.CompletedAt, e.ExpiresAt);
}
