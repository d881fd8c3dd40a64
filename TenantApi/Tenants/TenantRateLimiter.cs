using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// One token bucket per tenant (and tier), from System.Threading.RateLimiting's partitioned limiter, so one tenant's burst is
/// refused with 429 at the edge instead of taking the CPU and connections every other tenant needs. Applied by its own endpoint
/// filter (<see cref="TenantRateLimitFilter"/>) rather than ASP.NET Core's rate-limiting middleware because the partition's limit
/// depends on the tenant's tier, which is known only once the route is looked up. Per process: N replicas allow N times the rate (docs/operations.md).
/// </summary>
public sealed class TenantRateLimiter(IOptions<TenantRateLimitOptions> options) : IAsyncDisposable
{
    private readonly PartitionedRateLimiter<TenantRoute> _limiter = PartitionedRateLimiter.Create<TenantRoute, (Guid, Tenancy.Catalog.TenantTier)>(
        route => RateLimitPartition.GetTokenBucketLimiter((route.Id, route.Tier), _ =>
        {
            var limit = options.Value.For(route.Tier);
            return new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, limit.Burst),
                TokensPerPeriod = Math.Max(1, limit.PermitsPerSecond),
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0, // refuse at once: a queue here would only move the wait into the connection registry
                AutoReplenishment = true,
            };
        }));

    /// <summary>Null when the request may go on; otherwise how long the tenant should wait before retrying.</summary>
    public TimeSpan? TryAcquire(TenantRoute route)
    {
        using var lease = _limiter.AttemptAcquire(route);
        if (lease.IsAcquired)
        {
            return null;
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
    }

    public ValueTask DisposeAsync() => _limiter.DisposeAsync();
}
