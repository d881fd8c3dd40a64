using TenantAspire.TenantApi.Auth;

namespace TenantAspire.TenantApi.Apis;

public static class AdminGroups
{
    /// <summary>
    /// A platform-admin route group with the problems every admin endpoint may answer: 400 bad input, 401/403, 503 with the
    /// catalog unreachable. Endpoints add their own (404, 409) on top.
    /// </summary>
    public static RouteGroupBuilder MapAdminGroup(this IEndpointRouteBuilder app, string prefix, string tag) =>
        app.MapGroup(prefix).WithTags(tag).RequireAuthorization(TenantPolicies.PlatformAdmin)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}
