using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// Which tenant a request names: route <c>{slug}</c> or header <c>X-Tenant-Id</c> (one of them, or both agreeing), and whether the
/// name is a valid slug. Pure: it reads the request and nothing else.
/// </summary>
public static class TenantSlugStrategy
{
    public const string HeaderName = "X-Tenant-Id";

    /// <summary>The slug, or the reason (a 400's detail) the request names no single valid tenant.</summary>
    public readonly record struct Result(string? Slug, string? Invalid);

    public static Result Resolve(HttpRequest request)
    {
        var fromRoute = request.RouteValues.TryGetValue("slug", out var r) ? r as string : null;
        var headers = request.Headers[HeaderName];
        if (headers.Count > 1)
        {
            return new(null, $"Send one {HeaderName} header.");
        }
        var fromHeader = headers.Count == 1 ? headers[0] : null;
        if (fromRoute is not null && fromHeader is not null && !string.Equals(fromRoute, fromHeader, StringComparison.Ordinal))
        {
            return new(null, $"The route's tenant and the {HeaderName} header disagree.");
        }
        var slug = fromRoute ?? fromHeader;
        if (string.IsNullOrEmpty(slug))
        {
            return new(null, $"No tenant: use /api/tenants/{{slug}}/… or the {HeaderName} header.");
        }
        return TenantSlug.Validate(slug) is { } invalid ? new(null, invalid) : new(slug, null);
    }
}
