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

    [Fact]
    public async Task Custom_values_round_trip_through_the_generated_client_and_a_wrong_one_is_a_typed_400()
    {
        var slug = await new TenantTestKit(fixture).CreateActiveAsync("kiotacf");
        var tenantAdmin = Client(fixture.SigningKey, slug, TenantClaims.TenantAdmin);
        var fields = tenantAdmin.Api.Tenants[slug].CustomFields;
        await fields.PostAsync(new CustomFieldRequest { Entity = "users", Name = "plan", Type = "enum", Values = ["free", "pro"] });
        var seats = await fields.PostAsync(new CustomFieldRequest { Entity = "users", Name = "seats", Type = "number", Required = true });
        Assert.Equal(("number", true, "none"), (seats!.Type, seats.Required, seats.IndexState));

        var created = await tenantAdmin.Api.Tenants[slug].Users.PostAsync(new UserRequest
        {
            Email = "custom@kiota.example", Name = "Custom",
            Custom = new CustomValues { AdditionalData = new Dictionary<string, object> { ["plan"] = "pro", ["seats"] = 12 } },
        });
        var fetched = await tenantAdmin.Api.Tenants[slug].Users[created!.Id!.Value].GetAsync();
        Assert.Equal("pro", Text(fetched!.Custom!.AdditionalData["plan"]));
        Assert.Equal("12", Text(fetched.Custom.AdditionalData["seats"]));

        var problem = await Assert.ThrowsAsync<ProblemDetails>(() => tenantAdmin.Api.Tenants[slug].Users.PostAsync(new UserRequest
        {
            Email = "wrong@kiota.example", Name = "Wrong",
            Custom = new CustomValues { AdditionalData = new Dictionary<string, object> { ["plan"] = "gold" } },
        }));
        Assert.Equal(400, problem.ResponseStatusCode);
        Assert.Contains("custom.plan", problem.Detail);
        Assert.Contains("custom.seats", problem.Detail); // required, and missing
    }

    /// <summary>Kiota hands untyped values back as its own nodes or as primitives, depending on the serializer's version.</summary>
    private static string? Text(object value) => value switch
    {
        Microsoft.Kiota.Abstractions.Serialization.UntypedString s => s.GetValue(),
        Microsoft.Kiota.Abstractions.Serialization.UntypedDecimal d => d.GetValue().ToString(System.Globalization.CultureInfo.InvariantCulture),
        Microsoft.Kiota.Abstractions.Serialization.UntypedDouble d => d.GetValue().ToString(System.Globalization.CultureInfo.InvariantCulture),
        Microsoft.Kiota.Abstractions.Serialization.UntypedInteger i => i.GetValue().ToString(System.Globalization.CultureInfo.InvariantCulture),
        Microsoft.Kiota.Abstractions.Serialization.UntypedLong l => l.GetValue().ToString(System.Globalization.CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

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
