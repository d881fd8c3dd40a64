using Microsoft.Extensions.Options;
using TenantAspire.ProvisioningWorker.Archiving;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>
/// Restores as durable operations. Restore: the backup (<see cref="BackupRestorer"/>) or the moment asked
/// (<see cref="PointInTimeRestorer"/>) goes into a new database on the tenant's server and is verified, then swapped in (<see cref="DatabaseSwap"/>); the replaced database is kept closed for
/// <see cref="BackupOptions.UndoWindow"/> (in place) or dropped at once (a sibling's, which was empty). Undo swaps back and drops
/// the restored one. Every step can run again: a worker that died mid-restore starts the copy over, one that died mid-swap lets
/// the tenant back into its database first.
/// </summary>
public sealed class RestoreHandler(
    CatalogDbContext db, OperationLease lease, BackupRestorer restorer, PointInTimeRestorer pointInTime, DatabaseSwap swap, TenantWakeUp wakeUp, ServerAdmin admin,
    ServerConnections connections, FaultInjector faults, IOptions<BackupOptions> options, TimeProvider clock, ILogger<RestoreHandler> logger)
{
    public async Task RunAsync(TenantOperation operation, CancellationToken ct)
    {
        var restore = await db.Restores.SingleOrDefaultAsync(r => r.TenantId == operation.TenantId
            && (r.Phase == RestorePhase.Pending || r.Phase == RestorePhase.Restoring), ct);
        if (restore is null)
        {
            return;
        }
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct)
                     ?? throw new BackupUnusableException("the tenant was deleted");
        await swap.ReleaseAsync(tenant, ct); // an earlier attempt died in the swap: serve the tenant from its database first
        await wakeUp.WakeForAsync(tenant, "for a restore", ct); // it went to sleep after the restore was asked for
        if (tenant.Status != TenantStatus.Active)
        {
            // A sibling still provisioning, or a tenant hibernated or suspended meanwhile: try again shortly.
            throw new InvalidOperationException($"tenant '{tenant.Slug}' is {tenant.Status.ToString().ToLowerInvariant()}; a restore needs it active");
        }
        using var activity = BackupTelemetry.Start("tenant restore", tenant.Slug);
        activity?.SetTag("restore.mode", restore.Mode.ToString());
        activity?.SetTag("restore.point_in_time", restore.PointInTime is not null);

        restore.Phase = RestorePhase.Restoring;
        restore.UpdatedAt = clock.GetUtcNow();
        await lease.SaveChangesAsync(ct);
        var (rows, schemaVersion, source) = await FillAsync(restore, tenant, ct);
        await faults.ThrowIfInjectedAsync(tenant.Slug, BackupSteps.Swap, ct);

        var previous = tenant.DatabaseName;
        var sibling = restore.Mode == RestoreMode.Sibling;
        var pause = await swap.SwapAsync(tenant, restore.NewDatabase, schemaVersion, (now, held) =>
        {
            restore.Phase = sibling ? RestorePhase.Completed : RestorePhase.Swapped;
            restore.PreviousDatabase = previous;
            restore.RowsVerified = rows;
            restore.PauseMs = (int)held.TotalMilliseconds;
            restore.SwappedAt = now;
            restore.UpdatedAt = now;
            restore.UndoUntil = sibling ? null : now + options.Value.UndoWindow;
            restore.CompletedAt = sibling ? now : null;
            db.AuditEvents.Add(Audit.Event(tenant, "restored", Audit.WorkerActor, now,
                $"{source} of '{restore.SourceSlug}'; {rows} rows verified; requests held {held.TotalMilliseconds:0} ms"));
            if (!sibling)
            {
                db.Enqueue(tenant.Id, OperationKind.DropRestorePrevious, OperationTrace.None, restore.UndoUntil!.Value);
            }
        }, ct);
        if (sibling)
        {
            await admin.DropDatabaseAsync(tenant.Server, previous, ct); // the sibling's own empty database: nothing to undo to
        }
        BackupTelemetry.Restores.Add(1, new("mode", restore.Mode.ToString()), new("outcome", "succeeded"));
        logger.LogInformation("Restored {Source} into {Tenant} ({Mode}): {Rows} rows verified, requests held {Pause:0} ms",
            source, tenant.Slug, restore.Mode, rows, pause.TotalMilliseconds);
    }

    /// <summary>The new database filled and verified: from the backup, or from the source server's archive at the moment asked.</summary>
    private async Task<(long Rows, string? SchemaVersion, string Source)> FillAsync(TenantRestore restore, Tenant tenant, CancellationToken ct)
    {
        if (restore.PointInTime is { } at)
        {
            var result = await pointInTime.RestoreAsync(restore, tenant.Server, restore.NewDatabase, tenant.RoleName, tenant.Tablespace, ct);
            restore.ReachedAt = result.ReachedAt;
            restore.WalPosition = result.WalPosition;
            restore.StepsMs = new(result.StepsMs);
            return (result.Rows, result.SchemaVersion,
                $"point in time {at:O} (last transaction replayed {result.ReachedAt?.ToString("O") ?? "none"}, WAL {result.WalPosition ?? "?"})");
        }
        var backup = await db.Backups.AsNoTracking().SingleOrDefaultAsync(b => b.Id == restore.BackupId, ct)
                     ?? throw new BackupUnusableException($"backup {restore.BackupId} no longer exists");
        var rows = await restorer.RestoreAsync(backup, tenant.Server, restore.NewDatabase, tenant.RoleName, tenant.Tablespace, ct);
        return (rows, backup.SchemaVersion, $"backup {backup.Id} taken {backup.CreatedAt:O}");
    }

    /// <summary>Given up: the tenant stays (or is put back) on its own database, the half-made one is dropped, the restore failed.</summary>
    public async Task GiveUpAsync(TenantOperation operation, string reason, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var restore = await db.Restores.SingleOrDefaultAsync(r => r.TenantId == operation.TenantId
            && (r.Phase == RestorePhase.Pending || r.Phase == RestorePhase.Restoring), ct);
        if (restore is null)
        {
            return;
        }
        await lease.EnsureHeldAsync(ct);
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (tenant is not null)
        {
            await swap.ReleaseAsync(tenant, ct);
            if (tenant.DatabaseName != restore.NewDatabase) // never the database the tenant is served from
            {
                await admin.DropDatabaseAsync(restore.Server, restore.NewDatabase, ct);
            }
            db.AuditEvents.Add(Audit.Event(tenant, "restore-failed", Audit.WorkerActor, clock.GetUtcNow(), reason));
        }
        restore.Phase = RestorePhase.Failed;
        restore.Error = reason.Length > 2000 ? reason[..2000] : reason;
        restore.UpdatedAt = clock.GetUtcNow();
        await lease.SaveChangesAsync(ct);
        BackupTelemetry.Restores.Add(1, new("mode", restore.Mode.ToString()), new("outcome", "failed"));
    }

    /// <summary>Undo: the database the restore replaced is swapped back in; the restored one is dropped.</summary>
    public async Task UndoAsync(TenantOperation operation, CancellationToken ct)
    {
        var restore = await db.Restores.SingleOrDefaultAsync(r => r.TenantId == operation.TenantId && r.Phase == RestorePhase.Undoing, ct);
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (restore is null || tenant is null || restore.PreviousDatabase is not { } previous)
        {
            return;
        }
        await swap.ReleaseAsync(tenant, ct);
        await wakeUp.WakeForAsync(tenant, "for a restore's undo", ct);
        using var activity = BackupTelemetry.Start("tenant restore undo", tenant.Slug);
        await admin.OpenDatabaseAsync(tenant.Server, previous, ct); // closed since the restore; read its version before the swap
        string? schema;
        await using (var source = connections.AdminIn(tenant.Server, previous))
        await using (var connection = await source.OpenConnectionAsync(ct))
        {
            schema = await TenantHistory.AppliedAsync(connection, null, ct);
        }
        var restored = tenant.DatabaseName;
        await swap.SwapAsync(tenant, previous, schema, (now, held) =>
        {
            restore.Phase = RestorePhase.Undone;
            restore.UpdatedAt = now;
            restore.CompletedAt = now;
            db.AuditEvents.Add(Audit.Event(tenant, "restore-undone", Audit.WorkerActor, now,
                $"back on the database replaced by restore {restore.Id}; requests held {held.TotalMilliseconds:0} ms"));
        }, ct);
        await admin.DropDatabaseAsync(tenant.Server, restored, ct);
        logger.LogInformation("Undid restore {Restore} of {Tenant}", restore.Id, tenant.Slug);
    }

    /// <summary>An undo that failed for good: the restore stands (the tenant is served from the restored database).</summary>
    public async Task GiveUpUndoAsync(TenantOperation operation, string reason, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var restore = await db.Restores.SingleOrDefaultAsync(r => r.TenantId == operation.TenantId && r.Phase == RestorePhase.Undoing, ct);
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (restore is null)
        {
            return;
        }
        if (tenant is not null)
        {
            await swap.ReleaseAsync(tenant, ct);
        }
        restore.Phase = RestorePhase.Swapped;
        var error = "undo failed: " + reason;
        restore.Error = error.Length > 2000 ? error[..2000] : error;
        restore.UpdatedAt = clock.GetUtcNow();
        await lease.SaveChangesAsync(ct);
    }

    /// <summary>After the undo window: the replaced databases of the tenant's swapped restores are dropped.</summary>
    public async Task DropPreviousAsync(TenantOperation operation, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        var swapped = await db.Restores.Where(r => r.TenantId == operation.TenantId && r.Phase == RestorePhase.Swapped).ToListAsync(ct);
        foreach (var restore in swapped.Where(r => r.UndoUntil <= now && r.PreviousDatabase is not null))
        {
            if (tenant is null || restore.PreviousDatabase != tenant.DatabaseName)
            {
                await admin.DropDatabaseAsync(restore.Server, restore.PreviousDatabase!, ct);
            }
            restore.Phase = RestorePhase.Completed;
            restore.CompletedAt = now;
            restore.UpdatedAt = now;
        }
        await lease.SaveChangesAsync(ct);
    }
}
