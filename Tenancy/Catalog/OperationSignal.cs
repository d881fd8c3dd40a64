using Microsoft.EntityFrameworkCore;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.Tenancy.Catalog;

/// <summary>The catalog's LISTEN/NOTIFY channel that wakes provisioning workers the moment an operation is queued.</summary>
public static class OperationSignal
{
    public const string Channel = "tenant_operations";

    public static TenantOperation Enqueue(this CatalogDbContext db, Guid tenantId, OperationKind kind, OperationTrace trace, DateTimeOffset now)
    {
        var operation = new TenantOperation
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            Kind = kind,
            State = OperationState.Pending,
            NextAttemptAt = now,
            TraceParent = trace.TraceParent,
            Baggage = trace.Baggage,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Operations.Add(operation);
        return operation;
    }

    /// <summary>
    /// Queues <paramref name="kind"/> unless one is already pending or running for the tenant (wake-ups asked by every request to
    /// a hibernated tenant, or by several monitors, collapse into one). Saves and wakes the workers; true when queued.
    /// With <paramref name="behindRunning"/>, only a pending one counts: work asked for while one runs (a backup or an export
    /// must hold what was written until now) is queued behind it rather than folded into work that already started.
    /// </summary>
    public static async Task<bool> EnqueueOnceAsync(this CatalogDbContext db, Guid tenantId, OperationKind kind, OperationTrace trace,
        DateTimeOffset now, CancellationToken ct, bool behindRunning = false)
    {
        if (await db.Operations.AnyAsync(o => o.TenantId == tenantId && o.Kind == kind
                                              && (o.State == OperationState.Pending || !behindRunning && o.State == OperationState.Running), ct))
        {
            return false;
        }
        db.Enqueue(tenantId, kind, trace, now);
        await db.SaveChangesAsync(ct);
        await db.NotifyWorkersAsync(ct);
        return true;
    }

    /// <summary>Payload prefix of a request to scan for idle tenants now (the rest is who asked), on the same channel.</summary>
    public const string HibernationScanPrefix = "hibernation-scan:";

    /// <summary>
    /// Asks the workers to run their hibernation scan now instead of at the next interval (the dashboard's command). A NOTIFY,
    /// not a row: a lost request is a scan that happens at the next interval anyway. Actor names are ours (never user input).
    /// </summary>
    public static Task RequestHibernationScanAsync(this CatalogDbContext db, string actor, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel}, {HibernationScanPrefix + actor})", ct);

    /// <summary>Payload prefix of a request to run a backup pass now (the rest is who asked).</summary>
    public const string BackupPassPrefix = "backup-pass:";

    /// <summary>Asks the workers for a backup pass now (a NOTIFY, like <see cref="RequestHibernationScanAsync"/>).</summary>
    public static Task RequestBackupPassAsync(this CatalogDbContext db, string actor, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel}, {BackupPassPrefix + actor})", ct);

    /// <summary>Payload that tells the workers a rollout was started, resumed or changed (an idle runner looks at once).</summary>
    public const string RolloutPayload = "rollout";

    public static Task NotifyRolloutAsync(this CatalogDbContext db, CancellationToken ct) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel}, {RolloutPayload})", ct);

    /// <summary>After the operation is committed. Losing a notification only costs one poll interval.</summary>
    public static Task NotifyWorkersAsync(this CatalogDbContext db, CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync($"NOTIFY {Channel}", ct);
}
