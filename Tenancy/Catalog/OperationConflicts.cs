using Microsoft.EntityFrameworkCore;

namespace TenantAspire.Tenancy.Catalog;

/// <summary>
/// The API's side of "one operation at a time per tenant". The database enforces the rule itself (a unique index over running
/// operations, see <see cref="CatalogDbContext"/>); this class decides what a request that meets another operation is told:
/// queued behind it (202), or refused with 409 naming it. The table is in docs/api.md (<i>Operations on one tenant</i>).
/// </summary>
public static class OperationConflicts
{
    /// <summary>The tenant's running operation, if any.</summary>
    public static Task<TenantOperation?> RunningAsync(CatalogDbContext db, Guid tenantId, CancellationToken ct) =>
        db.Operations.AsNoTracking().Where(o => o.TenantId == tenantId && o.State == OperationState.Running)
            .OrderBy(o => o.StartedAt).FirstOrDefaultAsync(ct);

    /// <summary>
    /// Kinds whose handler needs the status it was asked in (active, or hibernated): a suspend or a resume under them would make
    /// them fail after their 202. Backups, exports, upgrades and the drops after a grace work on a suspended tenant too.
    /// </summary>
    public static readonly OperationKind[] StatusBound =
        [OperationKind.Hibernate, OperationKind.Wake, OperationKind.Restore, OperationKind.UndoRestore, OperationKind.Move];

    /// <summary>The tenant's running or due operation of a <see cref="StatusBound"/> kind, if any.</summary>
    public static Task<TenantOperation?> StatusBoundAsync(CatalogDbContext db, Guid tenantId, DateTimeOffset now, CancellationToken ct) =>
        db.Operations.AsNoTracking().Where(o => o.TenantId == tenantId && StatusBound.Contains(o.Kind)
                && (o.State == OperationState.Running || o.State == OperationState.Pending && o.NextAttemptAt <= now))
            .OrderByDescending(o => o.State == OperationState.Running).ThenBy(o => o.NextAttemptAt).FirstOrDefaultAsync(ct);

    /// <summary>"backup 0193… (running since 12:00:01Z)": what a 409 names.</summary>
    public static string Describe(TenantOperation operation) =>
        $"{Name(operation.Kind)} {operation.Id} ({operation.State.ToString().ToLowerInvariant()}" +
        (operation.StartedAt is { } started && operation.State == OperationState.Running ? $" since {started:HH:mm:ss}Z)" : ")");

    public static string Name(OperationKind kind) => kind switch
    {
        OperationKind.UndoRestore => "restore-undo",
        OperationKind.DropMoveSource => "drop-move-source",
        OperationKind.DropRestorePrevious => "drop-restore-previous",
        OperationKind.CustomIndexes => "custom-indexes",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Delete wins: the worker claims a tenant's delete before anything else queued for it and cancels the rest (they would only
    /// act on a database about to be dropped); the running one, if any, finishes first, because the database's one-running rule
    /// keeps the delete from starting beside it. The records those operations would have carried out (a move, a restore or an
    /// export not yet started) end with them: a delete that then fails must not leave a move "pending" for ever, with no
    /// operation to run it and every later move refused behind it.
    /// </summary>
    public static async Task<int> CancelQueuedAsync(CatalogDbContext db, Guid tenantId, string reason, DateTimeOffset now, CancellationToken ct)
    {
        var cancelled = await db.Operations.Where(o => o.TenantId == tenantId && o.State == OperationState.Pending && o.Kind != OperationKind.Delete)
            .ExecuteUpdateAsync(s => s
                .SetProperty(o => o.State, OperationState.Cancelled)
                .SetProperty(o => o.LastError, reason)
                .SetProperty(o => o.UpdatedAt, now)
                .SetProperty(o => o.CompletedAt, now), ct);
        await db.Moves.Where(m => m.TenantId == tenantId && m.Phase == MovePhase.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.Phase, MovePhase.Failed).SetProperty(m => m.Error, reason)
                .SetProperty(m => m.UpdatedAt, now).SetProperty(m => m.CompletedAt, now), ct);
        await db.Restores.Where(r => r.TenantId == tenantId && r.Phase == RestorePhase.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Phase, RestorePhase.Failed).SetProperty(r => r.Error, reason)
                .SetProperty(r => r.UpdatedAt, now).SetProperty(r => r.CompletedAt, now), ct);
        await db.Exports.Where(e => e.TenantId == tenantId && e.State == ExportState.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.State, ExportState.Failed).SetProperty(e => e.Error, reason)
                .SetProperty(e => e.CompletedAt, now), ct);
        return cancelled;
    }
}
