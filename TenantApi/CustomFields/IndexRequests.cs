using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Context;
using TenantAspire.Tenancy.CustomFields;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.TenantApi.CustomFields;

/// <summary>Queues the worker's <see cref="OperationKind.CustomIndexes"/> for the request's tenant.</summary>
public sealed class IndexRequests(ITenantContext tenant, CatalogDbContext catalog, TimeProvider clock)
{
    /// <summary>After a definition change: behind a running one, which may have read the definitions before this change.</summary>
    public Task QueueAsync(CancellationToken ct) =>
        catalog.EnqueueOnceAsync(tenant.Tenant.Id, OperationKind.CustomIndexes, OperationTrace.Capture(), clock.GetUtcNow(), ct, behindRunning: true);

    /// <summary>
    /// A pending index whose operation found the tenant hibernated (it leaves a sleeping tenant's database closed) is queued
    /// again when its definitions are next read; the read itself woke the tenant.
    /// </summary>
    public async Task EnsureQueuedAsync(IReadOnlyCollection<CustomFieldDefinition> fields, CancellationToken ct)
    {
        if (fields.Any(f => f.IndexState == CustomIndexState.Pending))
        {
            await catalog.EnqueueOnceAsync(tenant.Tenant.Id, OperationKind.CustomIndexes, OperationTrace.Capture(), clock.GetUtcNow(), ct);
        }
    }
}
