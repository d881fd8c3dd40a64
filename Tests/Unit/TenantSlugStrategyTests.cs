using Microsoft.AspNetCore.Http;
using TenantAspire.TenantApi.Tenants;

namespace TenantAspire.Tests.Unit;

/// <summary>Which tenant a request names, from its route and header alone.</summary>
public sealed class TenantSlugStrategyTests
{
    private static HttpRequest Request(string? route, params string[] headers)
    {
        var context = new DefaultHttpContext();
        if (route is not null)
        {
            context.Request.RouteValues["slug"] = route;
        }
        if (headers.Length > 0)
        {
            context.Request.Headers[TenantSlugStrategy.HeaderName] = headers;
        }
        return context.Request;
    }

    [Fact]
    public void The_route_names_the_tenant() => Assert.Equal("acme", TenantSlugStrategy.Resolve(Request("acme")).Slug);

    [Fact]
    public void The_header_names_the_tenant_when_the_route_does_not() =>
        Assert.Equal("acme", TenantSlugStrategy.Resolve(Request(null, "acme")).Slug);

    [Fact]
    public void Route_and_header_may_both_name_it_when_they_agree() =>
        Assert.Equal("acme", TenantSlugStrategy.Resolve(Request("acme", "acme")).Slug);

    [Theory]
    [InlineData("acme", "globex", "disagree")]
    [InlineData("acme", "ACME", "disagree")] // ordinal: a case variant is another name, never silently the same tenant
    public void Route_and_header_that_disagree_name_no_tenant(string route, string header, string reason)
    {
        var result = TenantSlugStrategy.Resolve(Request(route, header));
        Assert.Null(result.Slug);
        Assert.Contains(reason, result.Invalid);
    }

    [Fact]
    public void Two_headers_name_no_tenant()
    {
        var result = TenantSlugStrategy.Resolve(Request(null, "acme", "globex"));
        Assert.Null(result.Slug);
        Assert.Contains("one X-Tenant-Id", result.Invalid);
    }

    [Fact]
    public void No_route_and_no_header_name_no_tenant() => Assert.Contains("No tenant", TenantSlugStrategy.Resolve(Request(null)).Invalid);

    [Theory]
    [InlineData("Acme")]
    [InlineData("a b")]
    [InlineData("x'; drop database")]
    public void A_name_that_is_not_a_valid_slug_is_refused(string slug)
    {
        var result = TenantSlugStrategy.Resolve(Request(null, slug));
        Assert.Null(result.Slug);
        Assert.NotNull(result.Invalid);
    }
}
