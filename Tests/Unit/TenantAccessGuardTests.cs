using System.Security.Claims;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Routing;
using TenantAspire.TenantApi.Auth;

namespace TenantAspire.Tests.Unit;

public sealed class TenantAccessGuardTests
{
    private static readonly DateTimeOffset Created = new(2026, 11, 26, 12, 0, 0, 500, TimeSpan.Zero);

    private static TenantRoute Route(string slug = "acme") =>
        new(Guid.NewGuid(), slug, TenantTier.Standard, TenantStatus.Active, "postgres", "db", "role", "x", Created, TenantAspire.Tenancy.Data.TenantMigrations.Latest);

    private static ClaimsPrincipal User(string? tenant, string role, DateTimeOffset? issued)
    {
        var claims = new List<Claim> { new(TenantClaims.Role, role) };
        if (tenant is not null)
        {
            claims.Add(new(TenantClaims.TenantId, tenant));
        }
        if (issued is { } at)
        {
            claims.Add(new("iat", at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return new(new ClaimsIdentity(claims, "test", "sub", TenantClaims.Role));
    }

    [Fact]
    public void Token_issued_before_the_tenant_was_created_is_refused() =>
        Assert.NotNull(TenantAccessGuard.CheckInstance(User("acme", TenantClaims.TenantAdmin, Created.AddMinutes(-1)), Route()));

    [Fact]
    public void Token_issued_in_the_creation_second_or_later_is_accepted()
    {
        Assert.Null(TenantAccessGuard.CheckInstance(User("acme", TenantClaims.Member, Created), Route()));
        Assert.Null(TenantAccessGuard.CheckInstance(User("acme", TenantClaims.Member, Created.AddHours(1)), Route()));
    }

    [Fact]
    public void Tenant_token_without_issue_time_is_refused() =>
        Assert.NotNull(TenantAccessGuard.CheckInstance(User("acme", TenantClaims.Member, issued: null), Route()));

    [Fact]
    public void Platform_admin_reaches_every_instance() =>
        Assert.Null(TenantAccessGuard.CheckInstance(User(null, TenantClaims.PlatformAdmin, Created.AddDays(-1)), Route()));

    [Theory]
    [InlineData("acme", TenantClaims.TenantAdmin, "acme", true)]
    [InlineData("acme", TenantClaims.Member, "acme", true)]
    [InlineData("acme", TenantClaims.Member, "globex", false)]
    [InlineData("acme", "reader", "acme", false)]
    [InlineData(null, TenantClaims.TenantAdmin, "acme", false)]
    [InlineData(null, TenantClaims.PlatformAdmin, "acme", true)]
    public void Slug_check_needs_the_same_tenant_and_a_tenant_role(string? tokenTenant, string role, string slug, bool allowed) =>
        Assert.Equal(allowed, TenantAccessGuard.CheckSlug(User(tokenTenant, role, Created), slug) is null);
}
