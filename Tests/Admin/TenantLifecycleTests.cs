using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Admin;

[Collection(AspireAppCollection.Name)]
public sealed class TenantLifecycleTests(AspireAppFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task Suspend_and_resume_change_state_and_are_audited()
    {
        var slug = await _kit.CreateActiveAsync("life");
        using var admin = fixture.PlatformAdmin();

        using var suspended = await admin.PostAsync($"/api/tenants/{slug}/suspend", null);
        Assert.Equal("suspended", (await suspended.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        using var again = await admin.PostAsync($"/api/tenants/{slug}/suspend", null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode); // idempotent
        using var resumed = await admin.PostAsync($"/api/tenants/{slug}/resume", null);
        Assert.Equal("active", (await resumed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        var actions = (await _kit.AuditAsync(slug)).Select(a => a.Action).ToList();
        Assert.Equal(["create-requested", "provisioned", "suspended", "resumed"], actions);
    }

    [Fact]
    public async Task Suspend_of_a_failed_tenant_is_a_conflict()
    {
        var slug = TenantTestKit.NewSlug("nosuspend");
        await _kit.InjectFaultAsync(slug, "create-database", "permanent");
        (await _kit.CreateAsync(slug)).Dispose();
        await _kit.WaitForStatusAsync(slug, "failed");
        using var admin = fixture.PlatformAdmin();

        using var response = await admin.PostAsync($"/api/tenants/{slug}/suspend", null);

        await AssertProblemAsync(response, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Delete_erases_database_role_and_row_keeps_audit_and_frees_the_slug()
    {
        var slug = await _kit.CreateActiveAsync("gone");
        var (tenant, _) = await _kit.CatalogRowAsync(slug);
        using var admin = fixture.PlatformAdmin();

        using var deleted = await admin.DeleteAsync($"/api/tenants/{slug}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await _kit.WaitUntilGoneAsync(slug);

        Assert.False(await _kit.DatabaseExistsAsync(tenant.DatabaseName));
        Assert.False(await _kit.RoleExistsAsync(tenant.RoleName));
        var audit = await _kit.AuditAsync(slug);
        Assert.Contains(audit, a => a.Action == "deleted" && a.TenantId == tenant.Id);

        (await _kit.CreateAsync(slug)).Dispose();
        await _kit.WaitForStatusAsync(slug, "active");
        var (reborn, _) = await _kit.CatalogRowAsync(slug);
        Assert.NotEqual(tenant.Id, reborn.Id);
    }

    [Fact]
    public async Task Export_is_made_by_the_worker_and_downloaded_from_the_store()
    {
        var slug = await _kit.CreateActiveAsync("export");
        using var admin = fixture.PlatformAdmin();

        using var asked = await admin.PostAsync($"/api/tenants/{slug}/exports", null);
        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
        var export = await asked.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(asked.Headers.Location?.ToString(), $"/api/tenants/{slug}/exports/{export.GetProperty("id").GetString()}");
        using (var early = await admin.GetAsync($"/api/tenants/{slug}/exports/{export.GetProperty("id").GetString()}/download"))
        {
            Assert.True(early.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.OK); // not made yet (409), unless the worker was quick
        }
        await Eventually.TrueAsync(async () =>
        {
            export = await admin.GetFromJsonAsync<JsonElement>(asked.Headers.Location!.ToString());
            return export.GetProperty("state").GetString() is "succeeded" or "failed";
        }, TimeSpan.FromSeconds(60), "the export is made");
        Assert.True(export.GetProperty("state").GetString() == "succeeded", export.ToString());

        using var response = await admin.GetAsync(export.GetProperty("download").GetString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith(slug, response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'), StringComparison.Ordinal);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("PGDMP"u8.ToArray(), bytes[..5]); // pg_dump custom-format magic
        Assert.Equal(export.GetProperty("sha256").GetString(), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        Assert.Equal(export.GetProperty("bytes").GetInt64(), bytes.Length);
        using var gone = await admin.GetAsync($"/api/tenants/{slug}/export"); // the synchronous export is gone
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var unknown = await admin.GetAsync($"/api/tenants/{slug}/exports/{Guid.NewGuid()}");
        await AssertProblemAsync(unknown, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task List_filters_by_status_and_pages()
    {
        var slug = await _kit.CreateActiveAsync("listed");
        using var admin = fixture.PlatformAdmin();
        (await admin.PostAsync($"/api/tenants/{slug}/suspend", null)).Dispose();

        var page = await admin.GetFromJsonAsync<JsonElement>("/api/tenants?status=suspended&page=1&pageSize=100");

        Assert.Contains(page.GetProperty("items").EnumerateArray(), t => t.GetProperty("slug").GetString() == slug);
        Assert.All(page.GetProperty("items").EnumerateArray(), t => Assert.Equal("suspended", t.GetProperty("status").GetString()));
        using var tooBig = await admin.GetAsync("/api/tenants?pageSize=1000");
        await AssertProblemAsync(tooBig, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("Acme")]
    [InlineData("1acme")]
    [InlineData("acme_corp")]
    [InlineData("acme; DROP DATABASE catalog")]
    [InlineData("x'); DROP TABLE tenants;--")]
    [InlineData("acme\"")]
    [InlineData("api")]
    [InlineData("admin")]
    [InlineData("postgres")]
    [InlineData("template0")]
    [InlineData("pg-catalog")]
    [InlineData("a123456789012345678901234567890123456789012345678901234567890123")]
    public async Task Invalid_or_reserved_slug_is_rejected_and_creates_nothing(string slug)
    {
        var before = await TenantCountAsync();
        using var response = await _kit.CreateAsync(slug);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await TenantCountAsync());
    }

    [Fact]
    public async Task Duplicate_slug_is_a_conflict()
    {
        var slug = TenantTestKit.NewSlug("dup");
        (await _kit.CreateAsync(slug)).Dispose();
        using var second = await _kit.CreateAsync(slug);
        await AssertProblemAsync(second, HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("""{"slug":"ok-slug-tier","name":"x","tier":"platinum"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"slug":"ok-slug-tier","name":"x","tier":"1"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"slug":"ok-slug-noname"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"slug": "ok-slug-garbled", """, HttpStatusCode.BadRequest)]
    [InlineData("""not json""", HttpStatusCode.BadRequest)]
    public async Task Bad_body_is_a_problem_and_creates_nothing(string body, HttpStatusCode expected)
    {
        var before = await TenantCountAsync();
        using var admin = fixture.PlatformAdmin();
        using var response = await admin.PostAsync("/api/tenants", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await AssertProblemAsync(response, expected);
        Assert.Equal(before, await TenantCountAsync());
    }

    [Fact]
    public async Task Oversized_body_is_refused()
    {
        using var admin = fixture.PlatformAdmin();
        var name = new string('x', 100_000);
        using var response = await admin.PostAsJsonAsync("/api/tenants", new { slug = TenantTestKit.NewSlug("big"), name });
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Admin_endpoints_need_a_platform_admin_token()
    {
        using var anonymous = fixture.CreateHttpClient("tenant-api");
        using var noToken = await anonymous.GetAsync("/api/tenants");
        await AssertProblemAsync(noToken, HttpStatusCode.Unauthorized);

        using var member = fixture.ApiAs("acme", "tenant-admin");
        using var forbidden = await member.GetAsync("/api/tenants");
        await AssertProblemAsync(forbidden, HttpStatusCode.Forbidden);
    }

    private Task<long> TenantCountAsync() => _kit.CatalogScalarAsync<long>("SELECT count(*) FROM tenants");

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        return problem;
    }
}
