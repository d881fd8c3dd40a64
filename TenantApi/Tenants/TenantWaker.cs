using System.Collections.Concurrent;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// A request for a hibernated tenant asks the provisioning worker to wake it: one queued Wake per tenant (the catalog collapses
/// duplicates), and at most one catalog write per tenant every <see cref="Throttle"/> from this replica, so a burst of requests to a
/// sleeping tenant is not a burst of writes.
/// </summary>
public sealed class TenantWaker(IServiceScopeFactory scopes, TimeProvider clock, ILogger<TenantWaker> logger)
{
    private static readonly TimeSpan Throttle = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _asked = new();

    public async Task RequestWakeAsync(TenantRoute tenant, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_asked.TryGetValue(tenant.Id, out var at) && now - at < Throttle)
        {
            return;
        }
        if (_asked.Count > 10_000)
        {
            _asked.Clear(); // only a throttle: forgetting costs one extra (collapsed) write
        }
        _asked[tenant.Id] = now;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            if (await db.EnqueueOnceAsync(tenant.Id, OperationKind.Wake, OperationTrace.Capture(), now, ct))
            {
                logger.LogInformation("Waking hibernated tenant {Tenant}", tenant.Slug);
            }
        }
        catch (Exception e) when (e is NpgsqlException or DbUpdateException)
        {
            // The caller still gets 503 + Retry-After; its retry asks again.
            _asked.TryRemove(tenant.Id, out _);
            logger.LogWarning(e, "Could not queue a wake for {Tenant}", tenant.Slug);
        }
    }
}
