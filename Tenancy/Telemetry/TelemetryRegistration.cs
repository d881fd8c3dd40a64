using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace TenantAspire.Tenancy.Telemetry;

public static class TelemetryRegistration
{
    /// <summary>FusionCache's own spans and metrics (hits/misses per level: memory = L1, distributed = L2 Redis).</summary>
    private static readonly string[] FusionCacheSources =
    [
        "ZiggyCreatures.Caching.Fusion",
        "ZiggyCreatures.Caching.Fusion.Memory",
        "ZiggyCreatures.Caching.Fusion.Distributed",
        "ZiggyCreatures.Caching.Fusion.Backplane",
    ];

    /// <summary>Npgsql's meter: db.client.operation.duration etc., tagged with the data source name (the tenant's metric value).</summary>
    private const string NpgsqlMeter = "Npgsql";

    /// <summary>tenant.id on spans (baggage), the metric cardinality cap, and the library signals the dashboard needs.</summary>
    public static IHostApplicationBuilder AddTenantTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().Bind(builder.Configuration.GetSection(TelemetryOptions.Section))
            .Validate(o => o.MaxTenantTagValues >= 0, "Telemetry:MaxTenantTagValues must be 0 or more.")
            .Validate(o => o.DatabaseSizeInterval > TimeSpan.Zero, "Telemetry:DatabaseSizeInterval must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<TenantTagLimiter>();
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing
                .AddProcessor(new TenantBaggageProcessor())
                .AddSource(FusionCacheSources))
            .WithMetrics(metrics => metrics
                .AddMeter(FusionCacheSources)
                .AddMeter(NpgsqlMeter));
        return builder;
    }
}
