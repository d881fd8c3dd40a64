using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace TenantAspire.Tenancy.Routing;

public static class RoutingRegistration
{
    public const string RedisConnectionName = "redis";

    /// <summary>Redis client (Aspire integration: health check, tracing) and the tenant route cache on top of it.</summary>
    public static IHostApplicationBuilder AddTenantRouting(this IHostApplicationBuilder builder)
    {
        // abortConnect=false: the process starts and stays up while Redis is down. Redis is a cache here, so its outage makes
        // the service Degraded (still ready: /health answers 200), not Unhealthy: requests fall back to L1 and the catalog.
        builder.AddRedisClient(RedisConnectionName,
            configureSettings: s => s.DisableHealthChecks = true,
            configureOptions: o => o.AbortOnConnectFail = false);
        builder.Services.AddHealthChecks().AddRedis(sp => sp.GetRequiredService<IConnectionMultiplexer>(),
            name: RedisConnectionName, failureStatus: HealthStatus.Degraded, timeout: TimeSpan.FromSeconds(2));

        builder.Services.AddFusionCache(TenantRouteCache.CacheName)
            .WithOptions(o =>
            {
                o.DistributedCacheCircuitBreakerDuration = TimeSpan.FromSeconds(2);
                o.BackplaneCircuitBreakerDuration = TimeSpan.FromSeconds(2);
            })
            .WithDefaultEntryOptions(new FusionCacheEntryOptions
            {
                Duration = TimeSpan.FromMinutes(5),
                IsFailSafeEnabled = true,
                FailSafeMaxDuration = TimeSpan.FromHours(2),
                FactorySoftTimeout = TimeSpan.FromSeconds(1),
                DistributedCacheSoftTimeout = TimeSpan.FromMilliseconds(100),
                DistributedCacheHardTimeout = TimeSpan.FromMilliseconds(500),
                AllowBackgroundDistributedCacheOperations = true,
                AllowBackgroundBackplaneOperations = true,
            })
            // Fields included: FusionCache checks at start that its serializer round-trips a value tuple (and warns in every
            // service's log otherwise); routes themselves are records and serialize the same either way.
            .WithSerializer(new FusionCacheSystemTextJsonSerializer(new System.Text.Json.JsonSerializerOptions { IncludeFields = true }))
            // Keys carry the catalog's database name: two catalogs on one Redis (a second deployment, the tests' in-process
            // hosts) can both have an "acme" and must never read each other's route.
            .WithCacheKeyPrefix(CacheKeyPrefix(builder.Configuration.GetConnectionString(CatalogRegistration.CatalogConnectionName)))
            .WithDistributedCache(sp => new RedisCache(new RedisCacheOptions
            {
                ConnectionMultiplexerFactory = () => Task.FromResult(sp.GetRequiredService<IConnectionMultiplexer>()),
            }))
            .WithBackplane(sp => new RedisBackplane(new RedisBackplaneOptions
            {
                ConnectionMultiplexerFactory = () => Task.FromResult(sp.GetRequiredService<IConnectionMultiplexer>()),
            }));
        builder.Services.AddSingleton<TenantRouteCache>();
        builder.Services.AddSingleton<ITenantRouteStore>(sp => sp.GetRequiredService<TenantRouteCache>());
        return builder;
    }

    /// <summary>The route cache's key prefix: the catalog's database name (the cache's own name without a catalog).</summary>
    public static string CacheKeyPrefix(string? catalogConnectionString)
    {
        var database = string.IsNullOrEmpty(catalogConnectionString)
            ? null
            : new Npgsql.NpgsqlConnectionStringBuilder(catalogConnectionString).Database;
        return (string.IsNullOrEmpty(database) ? TenantRouteCache.CacheName : database) + ":";
    }
}
