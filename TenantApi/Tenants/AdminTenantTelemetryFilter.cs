using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// Admin calls about one tenant (<c>/api/tenants/{slug}/…</c>, platform-admin only) carry that tenant's <c>tenant.id</c>, so
/// "suspend acme" or "delete acme" and the worker operation it queues show up under acme in the dashboard.
/// </summary>
public sealed class AdminTenantTelemetryFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (context.HttpContext.Request.RouteValues.TryGetValue("slug", out var value) && value is string slug
            && TenantSlug.Validate(slug) is null)
        {
            TenantTelemetry.Enter(slug);
        }
        return next(context);
    }
}
