using TenantAspire.Tenancy.Routing;

namespace TenantAspire.Tenancy.Context;

/// <summary>The resolved tenant of the current request. Set once at the edge; nothing below reads headers or claims.</summary>
public interface ITenantContext
{
    TenantRoute Tenant { get; }
}

/// <summary>Scoped holder behind <see cref="ITenantContext"/>; only the request edge sets it.</summary>
public sealed class TenantContextHolder : ITenantContext
{
    private TenantRoute? _tenant;

    public TenantRoute Tenant => _tenant ?? throw new InvalidOperationException("No tenant was resolved for this request.");

    public void Set(TenantRoute tenant)
    {
        if (_tenant is not null)
        {
            throw new InvalidOperationException("The tenant of a request is set once.");
        }
        _tenant = tenant;
    }

    /// <summary>
    /// The same tenant's newer route (moved, woken, swapped) for a request served again after its database refused the route it
    /// had (TenantApi's <c>StaleRouteRetryFilter</c>). Never another tenant.
    /// </summary>
    public void Renew(TenantRoute tenant)
    {
        if (_tenant is null || _tenant.Id != tenant.Id)
        {
            throw new InvalidOperationException("Only the request's own tenant's route can be renewed.");
        }
        _tenant = tenant;
    }
}
