using TenantAspire.TenantApi.OpenApi;
using TenantAspire.TenantApi.Problems;

namespace TenantAspire.TenantApi.Tenants;

internal static class TenantScopedRoutes
{
    /// <summary>
    /// Maps the same endpoints twice, as <c>/api/tenants/{slug}/…</c> and as <c>/api/…</c> with the X-Tenant-Id header, both
    /// behind authentication, the group's role policy (<see cref="Auth.TenantPolicies"/>; endpoints may add a stricter one), the
    /// tenant resolution filter, the tenant's rate limit and the retry of a request whose cached route was stale.
    /// </summary>
    public static IEndpointRouteBuilder MapTenantScoped(this IEndpointRouteBuilder app, string tag, string policy, Action<RouteGroupBuilder> map)
    {
        foreach (var (prefix, headerForm) in new[] { ("api/tenants/{slug}", false), ("api", true) })
        {
            var group = app.MapGroup(prefix)
                .WithTags(tag)
                .RequireAuthorization(policy)
                .AddEndpointFilter<TenantResolutionFilter>()
                .AddEndpointFilter<TenantRateLimitFilter>() // after resolution: the limit depends on the tenant's tier
                .AddEndpointFilter<StaleRouteRetryFilter>() // innermost: a retry runs the handler only
                .ProducesProblem(StatusCodes.Status400BadRequest)
                .ProducesProblem(StatusCodes.Status401Unauthorized)
                .ProducesProblem(StatusCodes.Status403Forbidden)
                .ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status409Conflict)
                .ProducesProblem(StatusCodes.Status429TooManyRequests)
                .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
            if (headerForm)
            {
                group.WithMetadata(TenantHeaderForm.Instance);
            }
            map(group);
        }
        return app;
    }

    /// <summary>Location of a new resource under whichever form of the route the client used.</summary>
    public static string LocationOf(HttpRequest request, Guid id) => $"{request.PathBase}{request.Path.Value?.TrimEnd('/')}/{id}";
}
