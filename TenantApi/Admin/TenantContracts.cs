using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.TenantApi.Admin;

public sealed record CreateTenantRequest(string? Slug, string? Name, string? Tier);

public sealed record TenantDto(
    string Slug, string Name, TenantTier Tier, TenantStatus Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    string? SchemaVersion, string? FailureReason)
{
    public static TenantDto From(Tenant t) =>
        new(t.Slug, t.Name, t.Tier, t.Status, t.CreatedAt, t.UpdatedAt, t.SchemaVersion, t.FailureReason);
}

public sealed record PagedList<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total);

/// <summary>Paging rules shared by every list endpoint.</summary>
public static class Paging
{
    public const int MaxPageSize = 100;

    public static string? Validate(int? page, int? pageSize) =>
        page is < 1 ? "page must be 1 or more."
        : pageSize is < 1 or > MaxPageSize ? $"pageSize must be between 1 and {MaxPageSize}."
        : null;
}
