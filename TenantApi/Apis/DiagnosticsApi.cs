using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Telemetry;
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
        app.MapGet("api/diagnostics/process", (bool? collect, TenantTagLimiter tags, TenantConnectionRegistry registry) =>
                TypedResults.Ok(ProcessSnapshot.Take(collect ?? false, tags, registry)))
            .RequireAuthorization(TenantPolicies.PlatformAdmin)
            .WithTags("Diagnostics").WithName("ProcessSnapshot")
            .WithSummary("This replica's memory (managed heap, RSS), CPU time and tenant metric values; collect=true runs a full garbage collection first.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }
}

/// <summary>
/// What the memory and CPU benchmarks read from a running replica (the same numbers as the runtime's OpenTelemetry metrics,
/// but on demand and, with a full collection first, without garbage still waiting to be collected).
/// </summary>
public sealed record ProcessSnapshot(long ManagedHeapBytes, long WorkingSetBytes, double CpuMilliseconds, int Gen2Collections,
    int TenantTagValues, int LiveDataSources)
{
    public static ProcessSnapshot Take(bool collect, TenantTagLimiter tags, TenantConnectionRegistry registry)
    {
        if (collect)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
        return new(GC.GetTotalMemory(forceFullCollection: false), Environment.WorkingSet,
            Environment.CpuUsage.TotalTime.TotalMilliseconds, GC.CollectionCount(2), tags.Count, registry.Snapshot().LiveDataSources);
    }
}
