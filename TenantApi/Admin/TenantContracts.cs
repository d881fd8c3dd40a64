using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.TenantApi.Admin;

/// <summary>A new tenant; <c>canary</c> puts it in the first ring of every schema rollout.</summary>
public sealed record CreateTenantRequest(string? Slug, string? Name, string? Tier, bool? Canary = null);

public sealed record CanaryRequest(bool? Canary);

/// <summary>The tier a tenant should have; its database moves to a server and tablespace of that tier.</summary>
public sealed record TierChangeRequest(string? Tier);

/// <summary>Tier names in requests: "standard" or "premium", any case, letters only.</summary>
public static class TierInput
{
    public const string Error = "tier must be 'standard' or 'premium'.";

    public static bool TryParse(string? value, out TenantTier tier) =>
        Enum.TryParse(value, ignoreCase: true, out tier) && Enum.IsDefined(tier) && value!.All(char.IsAsciiLetter);
}

/// <summary>
/// A tenant. <c>schemaBehind</c>: its database is not yet at this build's newest tenant migration (a rollout or its next wake
/// brings it there; endpoints that need the newer schema migrate it first).
/// </summary>
public sealed record TenantDto(
    string Slug, string Name, TenantTier Tier, TenantStatus Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    string? SchemaVersion, bool SchemaBehind, bool Canary, string? FailureReason, string Server, string? Tablespace)
{
    public static TenantDto From(Tenant t) =>
        new(t.Slug, t.Name, t.Tier, t.Status, t.CreatedAt, t.UpdatedAt, t.SchemaVersion,
            t.Status != TenantStatus.Provisioning && TenantMigrations.IsBehind(t.SchemaVersion, TenantMigrations.Latest), t.IsCanary,
            t.FailureReason, t.Server, t.Tablespace);
}

public sealed record PagedList<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total);

/// <summary>Paging rules shared by every list endpoint.</summary>
public static class Paging
{
    public const int MaxPageSize = 100;
    public const int DefaultPageSize = 20;

    /// <summary>Highest page number: (page - 1) × pageSize must stay an int OFFSET (2147483647 × 100 overflowed into a 500).</summary>
    public const int MaxPage = 1_000_000;

    /// <summary>One page of an ordered query, plus the total; every list endpoint pages this way.</summary>
    public static async Task<PagedList<TDto>> PageAsync<T, TDto>(
        IOrderedQueryable<T> query, int? page, int? pageSize, Func<T, TDto> map, CancellationToken ct)
    {
        int p = page ?? 1, size = pageSize ?? DefaultPageSize;
        var items = await query.Skip((p - 1) * size).Take(size).ToListAsync(ct);
        // A first page that is not full already says the total: one round trip instead of two (most tenants' lists are small).
        var total = p == 1 && items.Count < size ? items.Count : await query.CountAsync(ct);
        return new PagedList<TDto>([.. items.Select(map)], p, size, total);
    }

    public static string? Validate(int? page, int? pageSize) =>
        page is < 1 or > MaxPage ? $"page must be between 1 and {MaxPage}."
        : pageSize is < 1 or > MaxPageSize ? $"pageSize must be between 1 and {MaxPageSize}."
        : null;
}
