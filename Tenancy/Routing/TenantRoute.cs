using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tenancy.Routing;

/// <summary>What the request path needs to know about a tenant: its state and where its database is. Cached in L1 + Redis.</summary>
public sealed record TenantRoute(
    Guid Id,
    string Slug,
    TenantTier Tier,
    TenantStatus Status,
    string Server,
    string DatabaseName,
    string RoleName,
    string? ProtectedPassword,
    DateTimeOffset CreatedAt,
    string? SchemaVersion)
{
    public static TenantRoute From(Tenant t) =>
        new(t.Id, t.Slug, t.Tier, t.Status, t.Server, t.DatabaseName, t.RoleName, t.ProtectedPassword, t.CreatedAt, t.SchemaVersion);
}
