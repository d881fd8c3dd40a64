using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TenantAspire.Tenancy.Catalog;
using ZiggyCreatures.Caching.Fusion;

namespace TenantAspire.Tenancy.Routing;

/// <summary>
/// Slug → route, L1 memory → L2 Redis → catalog (FusionCache). Removing an entry on any process reaches every other process
/// through the Redis backplane; with Redis down, L1 and the catalog still answer (fail-safe), so known tenants keep working.
/// </summary>
public sealed class TenantRouteCache(IFusionCacheProvider caches, IServiceScopeFactory scopes)
{
    public const string CacheName = "tenant-routes";

    private readonly IFusionCache _cache = caches.GetCache(CacheName);

    public async ValueTask<TenantRoute?> GetAsync(string slug, CancellationToken ct = default) =>
        await _cache.GetOrSetAsync<TenantRoute?>(Key(slug), async (ctx, token) =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Slug == slug, token);
            if (tenant is null)
            {
                // Unknown slugs are cached briefly so a flood of them cannot hammer the catalog.
                ctx.Options.Duration = TimeSpan.FromSeconds(5);
                return null;
            }
            return TenantRoute.From(tenant);
        }, token: ct);

    /// <summary>
    /// Writes the route from the catalog row just saved: into Redis, and every replica's L1 drops its copy through the backplane.
    /// Used when a tenant becomes active (provisioned, woken), so its first request on any replica skips the catalog.
    /// </summary>
    public ValueTask PublishAsync(Tenant tenant, CancellationToken ct = default) =>
        _cache.SetAsync<TenantRoute?>(Key(tenant.Slug), TenantRoute.From(tenant), token: ct);

    /// <summary>Drops the route here and, through the backplane, on every replica.</summary>
    public ValueTask InvalidateAsync(string slug, CancellationToken ct = default) => _cache.RemoveAsync(Key(slug), token: ct);

    private static string Key(string slug) => "route:" + slug;
}
