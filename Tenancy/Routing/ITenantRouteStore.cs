namespace TenantAspire.Tenancy.Routing;

/// <summary>
/// Where the request edge looks a tenant's route up by slug. <see cref="TenantRouteCache"/> (L1 → Redis → catalog) is the one
/// implementation the services use; the edge depends on this seam so it can be tested without a cache or a catalog.
/// </summary>
public interface ITenantRouteStore
{
    /// <summary>The tenant's route, or null when no tenant has that slug.</summary>
    ValueTask<TenantRoute?> GetAsync(string slug, CancellationToken ct = default);

    /// <summary>The catalog's route now, past any cached copy, which it replaces.</summary>
    ValueTask<TenantRoute?> RefreshAsync(string slug, CancellationToken ct = default);
}
