using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Admin;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Security;

/// <summary>The security review's reproduced findings, each against the running stack.</summary>
[Collection(AspireAppCollection.Name)]
public sealed class ReviewFindingsTests(AspireAppFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task A_token_for_a_deleted_tenant_does_not_open_a_new_tenant_with_the_same_slug()
    {
        var slug = TenantTestKit.NewSlug("reuse");
        await _kit.CreateActiveSlugAsync(slug);
        using var oldToken = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        using (var before = await oldToken.GetAsync($"/api/tenants/{slug}/users"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        using var admin = fixture.PlatformAdmin();
        (await admin.DeleteAsync($"/api/tenants/{slug}")).Dispose();
        await _kit.WaitUntilGoneAsync(slug);
        await Task.Delay(TimeSpan.FromSeconds(1.1)); // iat has whole seconds: the new tenant is created in a later second
        await _kit.CreateActiveSlugAsync(slug);

        using (var stale = await oldToken.GetAsync($"/api/tenants/{slug}/users"))
        {
            await TenantLifecycleTests.AssertProblemAsync(stale, HttpStatusCode.Forbidden);
        }
        using (var staleHeader = new HttpRequestMessage(HttpMethod.Get, "/api/users"))
        {
            staleHeader.Headers.Add("X-Tenant-Id", slug);
            using var response = await oldToken.SendAsync(staleHeader);
            await TenantLifecycleTests.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        }
        using var fresh = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        using var ok = await fresh.GetAsync($"/api/tenants/{slug}/users");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task A_member_reads_users_and_manages_projects_but_cannot_change_users()
    {
        var slug = TenantTestKit.NewSlug("roles");
        await _kit.CreateActiveSlugAsync(slug);
        using var tenantAdmin = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        using var member = fixture.ApiAs(slug, TenantClaims.Member);
        var userId = await CreatedIdAsync(await tenantAdmin.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = "a@roles.example", name = "A" }));

        using (var list = await member.GetAsync($"/api/tenants/{slug}/users"))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }
        using (var one = await member.GetAsync($"/api/tenants/{slug}/users/{userId}"))
        {
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        }
        foreach (var refused in new Func<Task<HttpResponseMessage>>[]
                 {
                     () => member.DeleteAsync($"/api/tenants/{slug}/users/{userId}"),
                     () => member.PutAsJsonAsync($"/api/tenants/{slug}/users/{userId}", new { email = "b@roles.example", name = "B" }),
                     () => member.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = "c@roles.example", name = "C" }),
                 })
        {
            using var response = await refused();
            await TenantLifecycleTests.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        }
        using (var still = await tenantAdmin.GetAsync($"/api/tenants/{slug}/users/{userId}"))
        {
            Assert.Equal("a@roles.example", (await still.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("email").GetString());
        }

        var projectId = await CreatedIdAsync(await member.PostAsJsonAsync($"/api/tenants/{slug}/projects", new { name = "P", ownerId = userId }));
        using (var renamed = await member.PutAsJsonAsync($"/api/tenants/{slug}/projects/{projectId}", new { name = "Q", ownerId = userId }))
        {
            Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        }
        using var deleted = await member.DeleteAsync($"/api/tenants/{slug}/projects/{projectId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Theory]
    [InlineData("admin\n")]
    [InlineData("fresh-slug\n")]
    public async Task A_slug_with_a_trailing_newline_gets_400_and_creates_nothing(string slug)
    {
        using var admin = fixture.PlatformAdmin();
        using var response = await admin.PostAsJsonAsync("/api/tenants", new { slug, name = "Newline", tier = "standard" });
        await TenantLifecycleTests.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(0L, await _kit.CatalogScalarAsync<long>("SELECT count(*) FROM tenants WHERE slug = $1", slug));
        Assert.Equal(0L, await _kit.CatalogScalarAsync<long>("SELECT count(*) FROM tenants WHERE slug = $1", slug.TrimEnd('\n')));
    }

    [Theory]
    [InlineData("/api/tenants/{0}/users?page=2147483647&pageSize=100")]
    [InlineData("/api/tenants/{0}/projects?page=2147483647&pageSize=100")]
    [InlineData("/api/tenants?page=2147483647&pageSize=100")]
    public async Task A_page_past_the_bound_gets_400_not_500(string path)
    {
        var slug = TenantTestKit.NewSlug("page");
        await _kit.CreateActiveSlugAsync(slug);
        using var admin = fixture.PlatformAdmin();
        using var response = await admin.GetAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, path, slug));
        await TenantLifecycleTests.AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_tenant_role_can_reach_only_its_own_database()
    {
        var slug = TenantTestKit.NewSlug("reach");
        await _kit.CreateActiveSlugAsync(slug);
        var (tenant, password) = await _kit.CatalogRowAsync(slug);
        await using (var own = await _kit.OpenAsTenantRoleAsync(tenant.RoleName, password!, tenant.DatabaseName))
        {
            Assert.Equal(System.Data.ConnectionState.Open, own.State);
        }
        foreach (var shared in new[] { "template1", "postgres", "catalog" })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => _kit.OpenAsTenantRoleAsync(tenant.RoleName, password!, shared));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
    }

    [Fact]
    public async Task A_tenant_over_its_tier_rate_gets_429_with_Retry_After_and_another_tenant_is_untouched()
    {
        // The fixture's API allows standard tenants 100 requests/s with a burst of 100 (AspireAppFixture.StandardRatePerSecond).
        string hot = TenantTestKit.NewSlug("rate-hot"), cold = TenantTestKit.NewSlug("rate-cold");
        await _kit.CreateActiveSlugAsync(hot);
        await _kit.CreateActiveSlugAsync(cold);
        using var hotClient = fixture.ApiAs(hot, TenantClaims.Member);
        using var coldClient = fixture.ApiAs(cold, TenantClaims.Member);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 3 * AspireAppFixture.StandardRatePerSecond).Select(async _ =>
        {
            using var response = await hotClient.GetAsync($"/api/tenants/{hot}/projects");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await TenantLifecycleTests.AssertProblemAsync(response, HttpStatusCode.TooManyRequests);
                Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After");
            }
            return response.StatusCode;
        }));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable, $"{s}"));
        using var coldResponse = await coldClient.GetAsync($"/api/tenants/{cold}/projects");
        Assert.Equal(HttpStatusCode.OK, coldResponse.StatusCode);
    }


    internal static async Task<Guid> CreatedIdAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        }
    }
}
