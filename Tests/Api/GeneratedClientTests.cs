using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.ApiClient;
using TenantAspire.Tests.ApiClient.Models;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Api;

/// <summary>
/// The C# client generated from the committed OpenAPI document (Kiota; scripts/generate-client.sh), used for a real tenant flow
/// against the running stack: what a consumer of the document gets is enough to work with the API, errors included.
/// </summary>
[Collection(AspireAppCollection.Name)]
public sealed class GeneratedClientTests(AspireAppFixture fixture)
{
    [Fact]
    public async Task A_tenant_flow_works_through_the_generated_client_in_both_forms_and_a_foreign_token_gets_a_typed_403()
    {
        var admin = Client(fixture.SigningKey, tenant: null, TenantClaims.PlatformAdmin);
        var slug = TenantTestKit.NewSlug("kiota");
        var created = await admin.Api.Tenants.PostAsync(new CreateTenantRequest { Slug = slug, Name = "Kiota Inc", Tier = "standard" });
        Assert.Equal(TenantStatus.Provisioning, created!.Status);
        await Eventually.TrueAsync(async () => (await admin.Api.Tenants[slug].GetAsync())!.Status == TenantStatus.Active,
            TimeSpan.FromSeconds(30), $"{slug} active");

        var tenantAdmin = Client(fixture.SigningKey, slug, TenantClaims.TenantAdmin);
        var viaRoute = await tenantAdmin.Api.Tenants[slug].Users.PostAsync(new UserRequest { Email = "route@kiota.example", Name = "Route" });
        var viaHeader = await tenantAdmin.Api.Users.PostAsync(new UserRequest { Email = "header@kiota.example", Name = "Header" },
            config => config.Headers.Add("X-Tenant-Id", slug));
        Assert.NotEqual(viaRoute!.Id, viaHeader!.Id);

        var byRoute = await tenantAdmin.Api.Tenants[slug].Users.GetAsync(config => config.QueryParameters.PageSize = 10);
        var byHeader = await tenantAdmin.Api.Users.GetAsync(config => config.Headers.Add("X-Tenant-Id", slug));
        Assert.Equal(["header@kiota.example", "route@kiota.example"], byRoute!.Items!.Select(u => u.Email!).ToArray());
        Assert.Equal(byRoute.Items!.Select(u => u.Id), byHeader!.Items!.Select(u => u.Id));
        Assert.Equal(2, byRoute.Total);

        // Another tenant's token: the client raises the problem+json as its typed ProblemDetails.
        var stranger = Client(fixture.SigningKey, TenantTestKit.NewSlug("other"), TenantClaims.TenantAdmin);
        var problem = await Assert.ThrowsAsync<ProblemDetails>(() => stranger.Api.Tenants[slug].Users.GetAsync());
        Assert.Equal(403, problem.ResponseStatusCode);
        Assert.Equal(403, problem.Status);
        Assert.Equal("Forbidden", problem.Title);
        Assert.True(problem.AdditionalData.ContainsKey("traceId"), "the problem carries its traceId");
    }

    private TenantAspireClient Client(string signingKey, string? tenant, string role)
    {
        var token = DevTokenIssuer.Mint(signingKey, tenant, [role], TimeSpan.FromMinutes(10));
        var http = fixture.CreateHttpClient("tenant-api");
        var adapter = new HttpClientRequestAdapter(new BaseBearerTokenAuthenticationProvider(new StaticToken(token)), httpClient: http)
        {
            BaseUrl = http.BaseAddress!.ToString().TrimEnd('/'),
        };
        return new TenantAspireClient(adapter);
    }

    private sealed class StaticToken(string token) : IAccessTokenProvider
    {
        public AllowedHostsValidator AllowedHostsValidator { get; } = new();

        public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null,
            CancellationToken cancellationToken = default) => Task.FromResult(token);
    }
}
