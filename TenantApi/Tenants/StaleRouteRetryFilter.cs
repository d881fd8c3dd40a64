using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Context;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// Serves a request once more when its tenant's database refused the route this replica had cached. The worker fences the old
/// database before it changes a tenant (a move locks the tenant's role out of the source, a hibernation closes the database, a
/// restore's swap renames it), while the backplane's message that drops the cached route can arrive late, or not at all while
/// Redis is down: a request that read the route before the message fails on the fence instead of being held. It is served again,
/// once, through the state gate on the catalog's route (held while a cut-over ends, woken if hibernated), when none of its
/// writes completed (it changed nothing; its reads run again) and the catalog's route is not the one it had (a database that is
/// simply down stays a 503).
/// Innermost of the tenant filters: only the handler runs again; the rate limit counted the request once.
/// </summary>
public sealed class StaleRouteRetryFilter(ITenantRouteStore routes, TenantStateGate gate, TenantContextHolder holder, TenantDb tenantDb,
    ILogger<StaleRouteRetryFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var served = holder.Tenant;
        try
        {
            return await next(context);
        }
        catch (Exception e) when (DatabaseUnavailable.Is(e) && tenantDb.NothingWritten && !http.Response.HasStarted)
        {
            var (read, fresh) = await TryRefreshAsync(served.Slug, http.RequestAborted);
            if (fresh is not null && fresh.Id != served.Id)
            {
                fresh = null; // deleted, and the slug taken by a new tenant since: the one the request named is gone (404)
            }
            if (!read || !Changed(served, fresh))
            {
                throw; // the request's own failure, whatever the catalog read did
            }
            logger.LogInformation("The database of {Tenant} refused a stale route ({Status} on {Server}, now {Fresh}); serving the request again",
                served.Slug, served.Status, served.Server, fresh is null ? "gone" : $"{fresh.Status} on {fresh.Server}");
            // Its connection goes back (a broken one clears its pool); the registry replaces a data source whose place changed.
            await tenantDb.ResetAsync();
            var decision = await gate.AdmitAsync(served.Slug, fresh, RequiresTenantSchema.Of(http), http.RequestAborted);
            if (decision.Route is not { } route)
            {
                return TenantResolutionFilter.Answer(decision, http);
            }
            holder.Renew(route);
            return await next(context);
        }
    }

    private async Task<(bool Read, TenantRoute? Route)> TryRefreshAsync(string slug, CancellationToken ct)
    {
        try
        {
            return (true, await routes.RefreshAsync(slug, ct));
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // The catalog is not answering either (its server may be the one that is down): the request keeps its 503.
            logger.LogWarning(e, "Could not read the route of {Tenant} again after its database refused the request", slug);
            return (false, null);
        }
    }

    /// <summary>Whether the catalog's route is not the one the request was served on (the only case a second try can help).</summary>
    public static bool Changed(TenantRoute served, TenantRoute? now) =>
        now is null || now.Status != served.Status || now.Server != served.Server || now.DatabaseName != served.DatabaseName;
}
