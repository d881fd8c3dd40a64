using Microsoft.AspNetCore.Http.Features;
using TenantAspire.Tenancy.Context;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Telemetry;
using TenantAspire.TenantApi.Auth;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// The edge of every tenant-scoped endpoint (applied to the route groups, so no handler can forget it), composed of its seams:
/// which tenant the request names (<see cref="TenantSlugStrategy"/>), whether the token may name it (<see cref="TenantAccessGuard"/>),
/// its route (<see cref="ITenantRouteStore"/>), whether its state lets it be served now (<see cref="TenantStateGate"/>); then it
/// sets <see cref="ITenantContext"/> and the log scope. Rate limiting follows as its own filter (<see cref="TenantRateLimitFilter"/>),
/// then the retry of a request whose cached route was stale (<see cref="StaleRouteRetryFilter"/>).
/// </summary>
public sealed class TenantResolutionFilter(ITenantRouteStore routes, TenantStateGate gate, TenantTagLimiter tags,
    TenantContextHolder holder, ILogger<TenantResolutionFilter> logger) : IEndpointFilter
{
    public const string HeaderName = TenantSlugStrategy.HeaderName;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var (slug, invalid) = TenantSlugStrategy.Resolve(http.Request);
        if (slug is null)
        {
            return BadRequest(invalid!);
        }
        // Guard before lookup: a token for another tenant learns nothing, not even whether the tenant exists.
        if (TenantAccessGuard.CheckSlug(http.User, slug) is { } refused)
        {
            return Forbidden(refused);
        }

        TenantTelemetry.Enter(slug); // from here on every span (cache, registry, SQL) carries the tenant
        var route = await routes.GetAsync(slug, http.RequestAborted);
        if (route is not null)
        {
            // ASP.NET Core's own http.server.request.duration then counts and times requests per tenant (capped cardinality).
            http.Features.Get<IHttpMetricsTagsFeature>()?.Tags.Add(new(TenantTelemetry.TenantIdKey, tags.TagFor(slug)));
            if (TenantAccessGuard.CheckInstance(http.User, route) is { } stale)
            {
                return Forbidden(stale);
            }
        }

        var decision = await gate.AdmitAsync(slug, route, RequiresTenantSchema.Of(http), http.RequestAborted);
        if (decision.Route is not { } served)
        {
            return Answer(decision, http);
        }
        holder.Set(served);
        using (logger.BeginScope(new Dictionary<string, object?> { [TenantTelemetry.TenantIdKey] = slug }))
        {
            return await next(context);
        }
    }

    /// <summary>The problem that answers a refused request: each kind of refusal has its status.</summary>
    public static object Answer(GateDecision decision, HttpContext http) => decision.Refusal switch
    {
        GateRefusal.NotFound => NotFound(decision.Detail!),
        GateRefusal.Forbidden => Forbidden(decision.Detail!),
        GateRefusal.Conflict => Conflict(decision.Detail!),
        _ => Unavailable(decision.Detail!, decision.RetryAfter ?? TimeSpan.FromSeconds(1), http),
    };
}
