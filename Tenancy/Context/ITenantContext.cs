using TenantAspire.Tenancy.Routing;

namespace TenantAspire.Tenancy.Context;

/// <summary>The resolved tenant of the current request. Set once at the edge; nothing below reads headers or claims.</summary>
public interface ITenantContext
{
    TenantRoute Tenant { get; }
}

/// <summary>Scoped holder behind <see cref="ITenantContext"/>; only the resolution filter sets it.</summary>
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
}
