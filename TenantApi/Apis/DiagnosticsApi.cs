using TenantAspire.Tenancy.Connections;
using TenantAspire.TenantApi.Auth;

namespace TenantAspire.TenantApi.Apis;

/// <summary>Platform-admin view of this replica's connection registry (the same numbers are OpenTelemetry metrics).</summary>
public static class DiagnosticsApi
{
    public static IEndpointRouteBuilder MapDiagnosticsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("api/diagnostics/registry", (TenantConnectionRegistry registry) => TypedResults.Ok(registry.Snapshot()))
            .RequireAuthorization(TenantPolicies.PlatformAdmin)
            .WithTags("Diagnostics").WithName("RegistrySnapshot").WithSummary("Live data sources, in-use connections, hits, misses, evictions.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }
}
