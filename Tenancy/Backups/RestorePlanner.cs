using Microsoft.EntityFrameworkCore;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Servers;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.Tenancy.Backups;

/// <summary>Why a restore could not be asked for; the API maps it to 409 (or 503 when no server can take a sibling).</summary>
public sealed record RestoreRefusal(string Reason, bool NoServer = false);

/// <summary>
/// What a restore brings back: a backup (<see cref="BackupId"/>), or the source tenant's database as it was at <see cref="At"/>, from
/// the WAL archive of the server that held it then (<see cref="Server"/>, <see cref="Database"/>).
/// </summary>
public sealed record RestoreSource(
    string SourceSlug, TenantTier Tier, DateTimeOffset At, Guid? BackupId, string? Server = null, string? Database = null, string? Role = null)
{
    public static RestoreSource Of(TenantBackup backup) => new(backup.TenantSlug, backup.Tier, backup.CreatedAt, backup.Id);

    /// <summary>The tenant at <paramref name="at"/>, from the server and database that held it then (its placement history).</summary>
    public static RestoreSource PointInTime(Tenant tenant, DateTimeOffset at, Placement heldBy) =>
        new(tenant.Slug, tenant.Tier, at, null, heldBy.Server, heldBy.Database, tenant.RoleName);

    public override string ToString() => BackupId is { } id ? $"backup {id} taken {At:O}" : $"point in time {At:O}";
}

/// <summary>
/// Asks for a restore of a <see cref="RestoreSource"/>: in place (into the backup's own tenant) or as a new sibling tenant named
/// <c>asSlug</c> (provisioned as usual, then filled from the backup). Writes the <see cref="TenantRestore"/> and queues its operation in
/// the caller's unit of work. The one owner of "start a restore".
/// </summary>
public static class RestorePlanner
{
    public static async Task<(TenantRestore? Restore, Tenant? Sibling, RestoreRefusal? Refusal)> PlanAsync(CatalogDbContext db, Tenant tenant,
        RestoreSource source, string? asSlug, string actor, OperationTrace trace, DateTimeOffset now, CancellationToken ct)
    {
        if (asSlug is not null)
        {
            var planned = await PlanSiblingAsync(db, source, asSlug, actor, trace, now, ct);
            if (planned.Restore is not null)
            {
                db.AuditEvents.Add(Audit.Event(tenant, "restore-requested", actor, now, $"{source} as sibling '{asSlug}'"));
            }
            return planned;
        }
        if (tenant.Status != TenantStatus.Active)
        {
            return (null, null, new($"Tenant '{tenant.Slug}' is {tenant.Status.ToString().ToLowerInvariant()}; only an active tenant is restored in place."));
        }
        if (await db.Restores.AnyAsync(r => r.TenantId == tenant.Id && TenantRestore.OpenPhases.Contains(r.Phase), ct))
        {
            return (null, null, new($"Tenant '{tenant.Slug}' is already being restored."));
        }
        if (await db.Moves.AnyAsync(m => m.TenantId == tenant.Id && TenantMove.OpenPhases.Contains(m.Phase), ct))
        {
            return (null, null, new($"Tenant '{tenant.Slug}' is moving; restore it once the move is done."));
        }
        var restore = Restore(db, tenant, source, RestoreMode.InPlace, actor, trace, now);
        db.AuditEvents.Add(Audit.Event(tenant, "restore-requested", actor, now, $"{source} (in place)"));
        return (restore, null, null);
    }

    /// <summary>
    /// A source restored into a new tenant <paramref name="asSlug"/>; a backup whether or not its own tenant still exists (a deleted
    /// tenant's backups are kept for the grace precisely so that a mistaken delete can be undone this way).
    /// </summary>
    public static async Task<(TenantRestore? Restore, Tenant? Sibling, RestoreRefusal? Refusal)> PlanSiblingAsync(CatalogDbContext db,
        RestoreSource source, string asSlug, string actor, OperationTrace trace, DateTimeOffset now, CancellationToken ct)
    {
        var (sibling, refusal) = await SiblingAsync(db, source, asSlug, actor, trace, now, ct);
        if (refusal is not null)
        {
            return (null, null, refusal);
        }
        var restore = Restore(db, sibling!, source, RestoreMode.Sibling, actor, trace, now);
        db.AuditEvents.Add(Audit.Event(sibling!, "restore-requested", actor, now, $"{source} of '{source.SourceSlug}'"));
        return (restore, sibling, null);
    }

    /// <summary>A new tenant, provisioned like any other (role, database, grants); the restore then replaces its empty database.</summary>
    private static async Task<(Tenant? Sibling, RestoreRefusal? Refusal)> SiblingAsync(CatalogDbContext db, RestoreSource source, string asSlug,
        string actor, OperationTrace trace, DateTimeOffset now, CancellationToken ct)
    {
        if (await db.Tenants.AnyAsync(t => t.Slug == asSlug, ct))
        {
            return (null, new($"A tenant with slug '{asSlug}' already exists."));
        }
        if (ServerPlacement.Choose(source.Tier, await ServerLoads.ReadAsync(db, ct)) is not { } server)
        {
            return (null, new($"No open server takes {source.Tier.ToString().ToLowerInvariant()} tenants now.", NoServer: true));
        }
        var name = $"{source.SourceSlug} (restored from {source.At:yyyy-MM-dd HH:mm:ss}Z)";
        return (TenantFactory.Request(db, asSlug, name.Length > 200 ? name[..200] : name, source.Tier, server, actor, trace, now), null);
    }

    private static TenantRestore Restore(CatalogDbContext db, Tenant target, RestoreSource source, RestoreMode mode, string actor,
        OperationTrace trace, DateTimeOffset now)
    {
        var id = Guid.CreateVersion7();
        var restore = new TenantRestore
        {
            Id = id,
            TenantId = target.Id,
            TenantSlug = target.Slug,
            BackupId = source.BackupId,
            PointInTime = source.BackupId is null ? source.At : null,
            SourceServer = source.Server,
            SourceDatabase = source.Database,
            SourceRole = source.Role,
            SourceSlug = source.SourceSlug,
            Mode = mode,
            Server = target.Server,
            Phase = RestorePhase.Pending,
            NewDatabase = TenantNaming.RestoredDatabaseName(id),
            RequestedBy = actor,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Restores.Add(restore);
        db.Enqueue(target.Id, OperationKind.Restore, trace, now);
        return restore;
    }

    /// <summary>
    /// Asks to swap back the newest restore that swapped the tenant's database and is still inside its undo window, whatever
    /// was asked after it (a later restore that failed or is still being made never replaced the database).
    /// </summary>
    public static async Task<(TenantRestore? Restore, RestoreRefusal? Refusal)> PlanUndoAsync(CatalogDbContext db, Tenant tenant, string actor,
        OperationTrace trace, DateTimeOffset now, CancellationToken ct)
    {
        if (await db.Restores.AnyAsync(r => r.TenantId == tenant.Id && r.Phase == RestorePhase.Undoing, ct))
        {
            return (null, new($"The restore of tenant '{tenant.Slug}' is already being undone."));
        }
        var restore = await db.Restores.Where(r => r.TenantId == tenant.Id && r.Mode == RestoreMode.InPlace && r.Phase == RestorePhase.Swapped)
            .OrderByDescending(r => r.SwappedAt).FirstOrDefaultAsync(ct);
        if (restore?.UndoUntil is not { } until || until <= now)
        {
            return (null, new($"Tenant '{tenant.Slug}' has no restore within its undo window."));
        }
        if (await db.Restores.AnyAsync(r => r.TenantId == tenant.Id && (r.Phase == RestorePhase.Pending || r.Phase == RestorePhase.Restoring), ct))
        {
            return (null, new($"Tenant '{tenant.Slug}' has a restore being made; undo once it has swapped or failed."));
        }
        if (tenant.Status != TenantStatus.Active)
        {
            return (null, new($"Tenant '{tenant.Slug}' is {tenant.Status.ToString().ToLowerInvariant()}; only an active tenant's restore is undone."));
        }
        restore.Phase = RestorePhase.Undoing;
        restore.UpdatedAt = now;
        db.Enqueue(tenant.Id, OperationKind.UndoRestore, trace, now);
        db.AuditEvents.Add(Audit.Event(tenant, "restore-undo-requested", actor, now, $"restore {restore.Id}"));
        return (restore, null);
    }
}
