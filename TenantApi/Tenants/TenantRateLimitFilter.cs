using TenantAspire.Tenancy.Context;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// 429 + Retry-After when the resolved tenant is over its tier's request rate (<see cref="TenantRateLimiter"/>), held briefly first
/// (<see cref="RefusalHold"/>). Runs right after <see cref="TenantResolutionFilter"/>, because the limit depends on the tenant's
/// tier, known only once its route is looked up.
/// </summary>
public sealed class TenantRateLimitFilter(TenantRateLimiter limiter, RefusalHold hold, ITenantContext tenant) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var route = tenant.Tenant;
        if (limiter.TryAcquire(route) is { } retryAfter)
        {
            await hold.HoldAsync(route.Id, retryAfter, context.HttpContext.RequestAborted);
            return TooManyRequests($"Tenant '{route.Slug}' is over its request rate for the {route.Tier.ToString().ToLowerInvariant()} tier.",
                retryAfter, context.HttpContext);
        }
        return await next(context);
    }
}
