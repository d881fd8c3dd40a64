using Microsoft.AspNetCore.Http.Features;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Context;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Telemetry;
using TenantAspire.TenantApi.Auth;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// The edge of every tenant-scoped endpoint (applied to the route groups, so no handler can forget it):
/// resolve the tenant from route <c>{slug}</c> or header <c>X-Tenant-Id</c>, guard it against the token, look it up
/// (L1 → Redis → catalog), check its state, and set <see cref="ITenantContext"/>.
/// </summary>
public sealed class TenantResolutionFilter : IEndpointFilter
{
    public const string HeaderName = "X-Tenant-Id";
    private static readonly TimeSpan WakeRetryAfter = TimeSpan.FromSeconds(2); // a wake is an ALTER DATABASE and a catalog update
    private static readonly TimeSpan UpgradeRetryAfter = TimeSpan.FromSeconds(5); // a migration may wait out a lock timeout first
    private static readonly TimeSpan MoveRetryAfter = TimeSpan.FromSeconds(1); // a cut-over ends (switched or aborted) within seconds

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var fromRoute = http.Request.RouteValues.TryGetValue("slug", out var r) ? r as string : null;
        var headers = http.Request.Headers[HeaderName];
        if (headers.Count > 1)
        {
            return BadRequest($"Send one {HeaderName} header.");
        }
        var fromHeader = headers.Count == 1 ? headers[0] : null;

        if (fromRoute is not null && fromHeader is not null && !string.Equals(fromRoute, fromHeader, StringComparison.Ordinal))
        {
            return BadRequest($"The route's tenant and the {HeaderName} header disagree.");
        }
        var slug = fromRoute ?? fromHeader;
        if (string.IsNullOrEmpty(slug))
        {
            return BadRequest($"No tenant: use /api/tenants/{{slug}}/… or the {HeaderName} header.");
        }
        if (TenantSlug.Validate(slug) is { } invalid)
        {
            return BadRequest(invalid);
        }

        // Guard before lookup: a token for another tenant learns nothing, not even whether the tenant exists.
        if (TenantAccessGuard.CheckSlug(http.User, slug) is { } refused)
        {
            return Forbidden(refused);
        }

        // From here on every span (cache, registry, SQL) carries the tenant.
        TenantTelemetry.Enter(slug);
        var route = await http.RequestServices.GetRequiredService<TenantRouteCache>().GetAsync(slug, http.RequestAborted);
        if (route is not null)
        {
            // ASP.NET Core's own http.server.request.duration then counts and times requests per tenant (capped cardinality).
            http.Features.Get<IHttpMetricsTagsFeature>()?.Tags.Add(new(TenantTelemetry.TenantIdKey,
                http.RequestServices.GetRequiredService<TenantTagLimiter>().TagFor(slug)));
        }
        if (route is not null && TenantAccessGuard.CheckInstance(http.User, route) is { } stale)
        {
            return Forbidden(stale);
        }
        switch (route?.Status)
        {
            case null or TenantStatus.Deleting:
                return NotFound($"No tenant '{slug}'.");
            case TenantStatus.Suspended:
                return Forbidden($"Tenant '{slug}' is suspended.");
            case TenantStatus.Provisioning:
                return Conflict($"Tenant '{slug}' is still being provisioned.");
            case TenantStatus.Failed:
                return Conflict($"Tenant '{slug}' failed to provision.");
            case TenantStatus.Hibernated:
                if (await http.RequestServices.GetRequiredService<TenantWaker>().WakeAndWaitAsync(route, http.RequestAborted) is not { } awake)
                {
                    return Unavailable($"Tenant '{slug}' is hibernated and waking up; retry shortly.", WakeRetryAfter, http);
                }
                route = awake; // held while it woke: serve it now
                break;
            case TenantStatus.Moving or TenantStatus.Restoring:
                if (await http.RequestServices.GetRequiredService<TenantWaker>().MoveAndWaitAsync(route, http.RequestAborted) is not { } moved)
                {
                    return Unavailable(route.Status == TenantStatus.Moving
                        ? $"Tenant '{slug}' is being moved to another server; retry shortly."
                        : $"Tenant '{slug}' is switching to a restored database; retry shortly.", MoveRetryAfter, http);
                }
                route = moved; // held through the cut-over: served where it lives now
                break;
        }

        // Expand/contract: every endpoint serves tenants at MinimumServable; one that needs a newer schema holds the request while
        // the worker migrates this tenant, rather than letting it fail on a missing table.
        var required = http.GetEndpoint()?.Metadata.GetMetadata<RequiresTenantSchema>()?.Migration ?? TenantMigrations.MinimumServable;
        if (TenantMigrations.IsBehind(route.SchemaVersion, required))
        {
            if (await http.RequestServices.GetRequiredService<TenantWaker>().UpgradeAndWaitAsync(route, required, http.RequestAborted) is not { } upgraded)
            {
                return Unavailable($"Tenant '{slug}' is being migrated to a newer schema; retry shortly.", UpgradeRetryAfter, http);
            }
            route = upgraded;
        }

        if (http.RequestServices.GetRequiredService<TenantRateLimiter>().TryAcquire(route) is { } retryAfter)
        {
            return TooManyRequests($"Tenant '{slug}' is over its request rate for the {route.Tier.ToString().ToLowerInvariant()} tier.", retryAfter, http);
        }
        http.RequestServices.GetRequiredService<TenantContextHolder>().Set(route);
        var logger = http.RequestServices.GetRequiredService<ILogger<TenantResolutionFilter>>();
        using (logger.BeginScope(new Dictionary<string, object?> { [TenantTelemetry.TenantIdKey] = slug }))
        {
            return await next(context);
        }
    }
}
