using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TenantAspire.Tenancy.Catalog;
using ZiggyCreatures.Caching.Fusion;

namespace TenantAspire.Tenancy.Routing;

/// <summary>
/// Slug → route, L1 memory → L2 Redis → catalog (FusionCache). Removing an entry on any process reaches every other process
/// through the Redis backplane; with Redis down, L1 and the catalog still answer (fail-safe), so known tenants keep working.
/// </summary>
/// <remarks>
/// A state change saves the catalog first and then invalidates. A cache fill that read the catalog just before the save can
/// still land after the invalidation and put the old route back (for the entry's whole duration). So every fill is bounded
/// (<see cref="FillBound"/>) and every invalidation or publish is repeated once after <see cref="SecondInvalidationDelay"/>, when
/// any fill that started before the change has either landed (and is removed) or been abandoned: a stale route cannot win.
/// </remarks>
public sealed class TenantRouteCache(IFusionCacheProvider caches, IServiceScopeFactory scopes, TimeProvider clock,
    ILogger<TenantRouteCache> logger) : ITenantRouteStore
{
    public const string CacheName = "tenant-routes";

    /// <summary>Longest a catalog read for a route may take; past it the fill is cancelled (fail-safe answers if it can).</summary>
    public static readonly TimeSpan FillBound = TimeSpan.FromSeconds(4);

    /// <summary>When the second removal runs: after any fill that could have read the old row is over.</summary>
    public static readonly TimeSpan SecondInvalidationDelay = FillBound + TimeSpan.FromSeconds(1);

    private readonly IFusionCache _cache = caches.GetCache(CacheName);

    public async ValueTask<TenantRoute?> GetAsync(string slug, CancellationToken ct = default)
    {
        try
        {
            return await FillAsync(slug, ct);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            // The fill's own bound ran out (the catalog is down or restarting) and no earlier route could stand in: "not now"
            // (503 + Retry-After at the API), not a bug; the caller did not cancel.
            throw new TimeoutException($"The catalog did not answer within {FillBound.TotalSeconds:0} s.", e);
        }
    }

    private async ValueTask<TenantRoute?> FillAsync(string slug, CancellationToken ct) =>
        await _cache.GetOrSetAsync<TenantRoute?>(Key(slug), (ctx, token) => LoadAsync(slug, ctx, token), token: ct);

    /// <summary>
    /// The catalog's route, read past both cache levels and stored in them (the backplane drops other replicas' copies): for a
    /// request whose database refused the route this replica had cached.
    /// </summary>
    public async ValueTask<TenantRoute?> RefreshAsync(string slug, CancellationToken ct = default) =>
        await _cache.GetOrSetAsync<TenantRoute?>(Key(slug), (ctx, token) => LoadAsync(slug, ctx, token),
            options => options.SetSkipMemoryCacheRead().SetSkipDistributedCacheRead(true), ct);

    private async Task<TenantRoute?> LoadAsync(string slug, FusionCacheFactoryExecutionContext<TenantRoute?> ctx, CancellationToken token)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(token);
        bounded.CancelAfter(FillBound);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Slug == slug, bounded.Token);
        if (tenant is null)
        {
            // Unknown slugs are cached briefly so a flood of them cannot hammer the catalog.
            ctx.Options.Duration = TimeSpan.FromSeconds(5);
            return null;
        }
        return TenantRoute.From(tenant);
    }

    /// <summary>
    /// Writes the route from the catalog row just saved: into Redis, and every replica's L1 drops its copy through the backplane.
    /// Used when a tenant becomes active (provisioned, woken), so its first request on any replica skips the catalog.
    /// </summary>
    public async ValueTask PublishAsync(Tenant tenant, CancellationToken ct = default)
    {
        await _cache.SetAsync<TenantRoute?>(Key(tenant.Slug), TenantRoute.From(tenant), token: ct);
        RemoveAgainLater(tenant.Slug);
    }

    /// <summary>Drops the route here and, through the backplane, on every replica; and once more a moment later (see remarks).</summary>
    public async ValueTask InvalidateAsync(string slug, CancellationToken ct = default)
    {
        await _cache.RemoveAsync(Key(slug), token: ct);
        RemoveAgainLater(slug);
    }

    private void RemoveAgainLater(string slug)
    {
        // Not part of the request or operation that triggered it: no parent span, no tenant baggage on its Redis spans.
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => RemoveAsync(slug));
        }
    }

    private async Task RemoveAsync(string slug)
    {
        try
        {
            await Task.Delay(SecondInvalidationDelay, clock);
            await _cache.RemoveAsync(Key(slug));
        }
        catch (Exception e)
        {
            // The entry then lives out its duration; the first removal already reached every replica.
            logger.LogWarning(e, "Second invalidation of the route of {Tenant} failed", slug);
        }
    }

    // v3: routes carry SchemaVersion (the request path checks it); entries cached by older code in Redis are not read as v3.
    private static string Key(string slug) => "route:v3:" + slug;
}
