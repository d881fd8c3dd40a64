using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.TenantApi.Auth;

namespace TenantAspire.TenantApi.Apis;

/// <summary>Operations on the whole fleet rather than one tenant (platform-admin), e.g. the dashboard's commands.</summary>
public static class FleetApi
{
    public static IEndpointRouteBuilder MapFleetApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("api/fleet/hibernation-scans", RequestHibernationScanAsync)
            .RequireAuthorization(TenantPolicies.PlatformAdmin)
            .WithTags("Fleet").WithName("RequestHibernationScan")
            .WithSummary("Scan for idle tenants now (the workers' rule, Hibernation:IdleAfter) instead of at the next interval.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <summary>202: the workers were asked; each tenant they hibernate is audited as <c>hibernate-requested</c> by the caller.</summary>
    public static async Task<Accepted> RequestHibernationScanAsync(CatalogDbContext db, ClaimsPrincipal user, CancellationToken ct)
    {
        await db.RequestHibernationScanAsync(ActorName(user), ct);
        return TypedResults.Accepted((string?)null);
    }

    // The actor travels in a NOTIFY payload and into audit rows: keep it to a token's plain subject.
    private static string ActorName(ClaimsPrincipal user) =>
        user.FindFirstValue("sub") is { Length: > 0 and <= 100 } sub && sub.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@')
            ? sub
            : "unknown";
}
