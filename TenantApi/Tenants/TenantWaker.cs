using System.Collections.Concurrent;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// A request for a hibernated tenant asks the provisioning worker to wake it: one queued Wake per tenant (the catalog collapses
/// duplicates), and at most one catalog write per tenant every <see cref="Throttle"/> from this replica, so a burst of requests to a
/// sleeping tenant is not a burst of writes. The request is then held (<see cref="HoldFor"/>) while the worker opens the database,
/// watching the catalog, so the first user of a sleeping tenant is served rather than told to retry (Neon's proxy does the same
/// while compute starts). All requests held for one tenant share one watch: one catalog read per tenant per poll, not per request.
/// </summary>
public sealed class TenantWaker(
    IServiceScopeFactory scopes, TenantRouteCache routes, TenantConnectionRegistry registry, TimeProvider clock, ILogger<TenantWaker> logger)
{
    private static readonly TimeSpan Throttle = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a request waits for its tenant to wake before it gets 503 + Retry-After (a wake is one ALTER DATABASE and a catalog write).</summary>
    public static readonly TimeSpan HoldFor = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _asked = new();
    private readonly ConcurrentDictionary<Guid, Lazy<Task<TenantRoute?>>> _watches = new();

    /// <summary>
    /// For a request that found its tenant hibernated: asks for a wake and holds the request until the catalog says the tenant is
    /// active again. Returns its fresh route, or null if it is not awake within <see cref="HoldFor"/> (or it left hibernation
    /// for another state: suspended, deleting). A cached route that was merely stale is noticed at the first look.
    /// </summary>
    public async Task<TenantRoute?> WakeAndWaitAsync(TenantRoute tenant, CancellationToken ct)
    {
        var watch = _watches.GetOrAdd(tenant.Id, _ => new(() => WatchAsync(tenant)));
        try
        {
            return await watch.Value.WaitAsync(ct);
        }
        finally
        {
            if (watch.Value.IsCompleted)
            {
                _watches.TryRemove(new(tenant.Id, watch));
            }
        }
    }

    private async Task<TenantRoute?> WatchAsync(TenantRoute tenant)
    {
        var deadline = clock.GetUtcNow() + HoldFor;
        for (var first = true; ; first = false)
        {
            if (!first)
            {
                await Task.Delay(PollInterval, clock);
            }
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            var row = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == tenant.Id);
            if (row?.Status == TenantStatus.Active)
            {
                if (first)
                {
                    // Already awake: this replica's cached route was stale (the backplane's message is late or was lost).
                    await routes.InvalidateAsync(row.Slug);
                }
                return TenantRoute.From(row); // the worker publishes it to the cache too; this request need not wait for that
            }
            if (row?.Status != TenantStatus.Hibernated || clock.GetUtcNow() >= deadline)
            {
                return null;
            }
            if (first)
            {
                await RequestWakeAsync(tenant, CancellationToken.None);
                await registry.EvictAsync(tenant.Id); // hibernation ended its sessions: the pooled ones are dead
            }
        }
    }

    private async Task RequestWakeAsync(TenantRoute tenant, CancellationToken ct)
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
