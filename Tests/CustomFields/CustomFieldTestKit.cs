using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.CustomFields;

/// <summary>
/// One indexed custom field and a value in it, and the proof that all of it is still there (definition, value, filter, and the
/// index in the tenant's current database on its current server): what a move, a restore or a rollout must keep.
/// </summary>
public sealed class CustomFieldTestKit(AspireAppFixture fixture)
{
    public const string Email = "custom@kit.example";
    private static readonly string[] Plans = ["free", "pro"];

    public async Task DefineAndFillAsync(string slug)
    {
        using var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        using (var defined = await api.PostAsJsonAsync($"/api/tenants/{slug}/custom-fields",
                   new { entity = "users", name = "plan", type = "enum", values = Plans, indexed = true }))
        {
            Assert.Equal(HttpStatusCode.Created, defined.StatusCode);
        }
        using (var user = await api.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = Email, name = "Kit", custom = new { plan = "pro" } }))
        {
            Assert.Equal(HttpStatusCode.Created, user.StatusCode);
        }
        await Eventually.TrueAsync(async () => await IndexStateAsync(api, slug) == "ready", TimeSpan.FromSeconds(60), "plan's index ready");
    }

    public async Task AssertKeptAsync(string slug)
    {
        using var api = fixture.ApiAs(slug, TenantClaims.Member);
        Assert.Equal("ready", await IndexStateAsync(api, slug));
        var found = await api.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/users?custom.plan=pro");
        var user = Assert.Single(found.GetProperty("items").EnumerateArray());
        Assert.Equal(Email, user.GetProperty("email").GetString());
        Assert.Equal("pro", user.GetProperty("custom").GetProperty("plan").GetString());

        var (tenant, _) = await new TenantTestKit(fixture).CatalogRowAsync(slug);
        var builder = new NpgsqlConnectionStringBuilder(await fixture.ConnectionStringAsync(tenant.Server)) { Database = tenant.DatabaseName, Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var index = new NpgsqlCommand(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'ix_users_custom_plan'", connection);
        Assert.True(await index.ExecuteScalarAsync() is true, $"a valid ix_users_custom_plan in {tenant.DatabaseName} on {tenant.Server}");
    }

    private static async Task<string?> IndexStateAsync(HttpClient api, string slug) =>
        (await api.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/custom-fields/users/plan")).GetProperty("indexState").GetString();
}
