using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Admin;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.RequestPath;

/// <summary>Every combination of route tenant, header tenant and token: the contract's status, and never another tenant's rows.</summary>
[Collection(AspireAppCollection.Name)]
public sealed class IsolationMatrixTests(AspireAppFixture fixture)
{
    private static readonly SemaphoreSlim Setup = new(1, 1);
    private static (string A, string B)? _tenants;

    public static TheoryData<string, string, string> Matrix()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var route in new[] { "A", "B", "-" })
        {
            foreach (var header in new[] { "A", "B", "-" })
            {
                foreach (var token in new[] { "A", "B", "admin", "none", "expired", "forged", "A-no-role" })
                {
                    data.Add(route, header, token);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Route_header_and_token_combinations_follow_the_contract(string route, string header, string token)
    {
        var (a, b) = await TenantsAsync();
        string? Slug(string x) => x switch { "A" => a, "B" => b, _ => null };
        var routeSlug = Slug(route);
        var headerSlug = Slug(header);

        using var http = fixture.CreateHttpClient("tenant-api");
        var bearer = token switch
        {
            "A" => DevTokenIssuer.Mint(fixture.SigningKey, a, [TenantClaims.Member], TimeSpan.FromMinutes(5)),
            "B" => DevTokenIssuer.Mint(fixture.SigningKey, b, [TenantClaims.TenantAdmin], TimeSpan.FromMinutes(5)),
            "admin" => DevTokenIssuer.Mint(fixture.SigningKey, null, [TenantClaims.PlatformAdmin], TimeSpan.FromMinutes(5)),
            "expired" => DevTokenIssuer.Mint(fixture.SigningKey, a, [TenantClaims.Member], TimeSpan.FromMinutes(5), now: DateTimeOffset.UtcNow.AddHours(-1)),
            "forged" => DevTokenIssuer.Mint(new string('k', 64), a, [TenantClaims.PlatformAdmin], TimeSpan.FromMinutes(5)),
            "A-no-role" => DevTokenIssuer.Mint(fixture.SigningKey, a, [], TimeSpan.FromMinutes(5)),
            _ => null,
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, routeSlug is null ? "/api/users" : $"/api/tenants/{routeSlug}/users");
        if (bearer is not null)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }
        if (headerSlug is not null)
        {
            request.Headers.Add("X-Tenant-Id", headerSlug);
        }

        using var response = await http.SendAsync(request);

        var resolved = routeSlug ?? headerSlug;
        var expected =
            token is "none" or "expired" or "forged" ? HttpStatusCode.Unauthorized
            : token == "A-no-role" ? HttpStatusCode.Forbidden // no tenant role: the role policy refuses before the tenant is read
            : resolved is null ? HttpStatusCode.BadRequest
            : routeSlug is not null && headerSlug is not null && routeSlug != headerSlug ? HttpStatusCode.BadRequest
            : token == "admin" || Slug(token) == resolved ? HttpStatusCode.OK
            : HttpStatusCode.Forbidden;
        if (expected != HttpStatusCode.OK)
        {
            await TenantLifecycleTests.AssertProblemAsync(response, expected);
            return;
        }
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var emails = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray()
            .Select(u => u.GetProperty("email").GetString()).ToList();
        Assert.Equal([$"owner@{resolved}.example"], emails); // the resolved tenant's row, and only it
    }

    private async Task<(string A, string B)> TenantsAsync()
    {
        await Setup.WaitAsync();
        try
        {
            if (_tenants is { } ready)
            {
                return ready;
            }
            var kit = new TenantTestKit(fixture);
            string a = TenantTestKit.NewSlug("mx-a"), b = TenantTestKit.NewSlug("mx-b");
            foreach (var slug in new[] { a, b })
            {
                (await kit.CreateAsync(slug)).Dispose();
                await kit.WaitForStatusAsync(slug, "active");
                using var admin = fixture.PlatformAdmin();
                using var created = await admin.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = $"owner@{slug}.example", name = "Owner" });
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }
            _tenants = (a, b);
            return (a, b);
        }
        finally
        {
            Setup.Release();
        }
    }
}
