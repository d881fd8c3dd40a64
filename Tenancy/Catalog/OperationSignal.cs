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

    /// <summary>After the operation is committed. Losing a notification only costs one poll interval.</summary>
    public static Task NotifyWorkersAsync(this CatalogDbContext db, CancellationToken ct) =>
        db.Database.ExecuteSqlRawAsync($"NOTIFY {Channel}", ct);
}
