using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Servers;

[Collection(SettingsStacksCollection.Name)]
public sealed class PlacementTests(ServersStackFixture fixture) : OnSharedStack(fixture)
{
    private readonly ServerTestKit _kit = new(fixture);

    [Fact]
    public async Task Servers_are_listed_with_their_tiers_state_and_budget()
    {
        var servers = (await _kit.ServersAsync()).EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal([ServersStackFixture.Standard, ServersStackFixture.Premium], servers.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(ServersStackFixture.StandardBudget, servers[ServersStackFixture.Standard].GetProperty("connectionBudget").GetInt32());
        Assert.Contains("Premium", servers[ServersStackFixture.Premium].GetProperty("tiers").EnumerateArray().Select(t => t.GetString()));
        foreach (var (name, server) in servers)
        {
            // What the catalog holds on it: every tenant but the deleting and failed ones.
            var held = await _kit.Tenants.CatalogScalarAsync<long>(
                "SELECT count(*) FROM tenants WHERE server = $1 AND status NOT IN ('Deleting', 'Failed')", name);
            Assert.Equal(held, server.GetProperty("tenants").GetInt64());
        }
    }

    [Fact]
    public async Task A_premium_tenant_lands_on_the_premium_server_in_premium_storage()
    {
        var (slug, server) = await _kit.ActiveAsync("pl-prem", "premium");
        Assert.Equal(ServersStackFixture.Premium, server);
        var tenant = await _kit.TenantAsync(slug);
        Assert.Equal("tenant_premium", tenant.GetProperty("tablespace").GetString());
        var (row, _) = await _kit.Tenants.CatalogRowAsync(slug);
        Assert.Equal("tenant_premium", await _kit.TablespaceOfAsync(ServersStackFixture.Premium, row.DatabaseName));
        Assert.Null(await _kit.DatabaseStateAsync(ServersStackFixture.Standard, row.DatabaseName)); // nothing of it elsewhere
        using var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        using var user = await api.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = $"a@{slug}.example", name = "A" });
        Assert.Equal(HttpStatusCode.Created, user.StatusCode); // served from its server
    }

    [Fact]
    public async Task A_standard_tenant_lands_on_the_least_loaded_server_that_takes_standard()
    {
        var before = (await _kit.ServersAsync()).EnumerateArray()
            .Where(s => s.GetProperty("state").GetString() == "open")
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("tenants").GetInt32());
        var expected = before.OrderBy(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).First().Key;
        var (slug, server) = await _kit.ActiveAsync("pl-std");
        Assert.Equal(expected, server);
        Assert.Equal("tenant_standard", (await _kit.TenantAsync(slug)).GetProperty("tablespace").GetString());
    }

    [Fact]
    public async Task A_tier_change_within_a_server_moves_the_database_to_the_other_tablespace_and_keeps_its_data()
    {
        var (slug, server) = await _kit.ActiveAsync("pl-ts", "premium");
        Assert.Equal(ServersStackFixture.Premium, server); // which also takes standard tenants here: the move stays on it
        using (var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin))
        using (var user = await api.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = $"kept@{slug}.example", name = "Kept" }))
        {
            Assert.Equal(HttpStatusCode.Created, user.StatusCode);
        }
        var move = (await _kit.ChangeTierAsync(slug, "standard"))!.Value;
        Assert.Equal("tablespace", move.GetProperty("method").GetString());
        var done = await _kit.WaitForMoveAsync(slug, move.GetProperty("id").GetString()!, "Completed", "Failed", "Aborted");
        Assert.Equal("completed", done.GetProperty("phase").GetString());

        var tenant = await _kit.TenantAsync(slug);
        Assert.Equal("standard", tenant.GetProperty("tier").GetString());
        Assert.Equal("tenant_standard", tenant.GetProperty("tablespace").GetString());
        var (row, _) = await _kit.Tenants.CatalogRowAsync(slug);
        Assert.Equal("tenant_standard", await _kit.TablespaceOfAsync(ServersStackFixture.Premium, row.DatabaseName));
        using (var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin))
        {
            var users = await api.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/users");
            Assert.Contains(users.GetProperty("items").EnumerateArray(), u => u.GetProperty("email").GetString() == $"kept@{slug}.example");
        }
    }

    [Theory]
    [InlineData("gold")]
    [InlineData("")]
    [InlineData("1")]
    public async Task A_bad_tier_is_refused_with_a_problem_and_changes_nothing(string tier)
    {
        var (slug, _) = await _kit.ActiveAsync("pl-bad");
        using var admin = fixture.PlatformAdmin();
        using var response = await admin.PostAsJsonAsync($"/api/tenants/{slug}/tier", new { tier });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("traceId", out _));
        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/moves")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Unknown_servers_and_tenants_are_404_problems()
    {
        using var admin = fixture.PlatformAdmin();
        using var server = await admin.PostAsync("/api/servers/nowhere/drain", null);
        Assert.Equal(HttpStatusCode.NotFound, server.StatusCode);
        using var tenant = await admin.PostAsJsonAsync("/api/tenants/no-such-tenant/tier", new { tier = "premium" });
        Assert.Equal(HttpStatusCode.NotFound, tenant.StatusCode);
        using var tenantToken = fixture.ApiAs("acme", TenantClaims.TenantAdmin);
        using var forbidden = await tenantToken.GetAsync("/api/servers");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }
}
