using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Rollouts;

/// <summary>
/// The CustomFields migration is expand-only: a tenant the rollout has not reached is still served by the users, projects and
/// tasks endpoints (no custom column is read or written there), and the custom-fields endpoints bring it forward first.
/// </summary>
[Collection(SettingsStacksCollection.Name)]
public sealed class CustomFieldsBeforeTheirMigrationTests(RolloutStackFixture fixture) : OnSharedStack(fixture)
{
    private readonly RolloutTestKit _kit = new(fixture);

    [Fact]
    public async Task A_tenant_behind_the_migration_serves_users_without_custom_values_and_defining_a_field_upgrades_it()
    {
        var slug = (await _kit.FleetAtNAsync("ro-cf", 1))[0];
        using var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        var users = $"/api/tenants/{slug}/users";
        var first = (await api.GetFromJsonAsync<JsonElement>(users)).GetProperty("items")[0];
        Assert.Empty(first.GetProperty("custom").EnumerateObject());
        var id = first.GetProperty("id").GetGuid();
        using (var renamed = await api.PutAsJsonAsync($"{users}/{id}", new { email = first.GetProperty("email").GetString(), name = "Renamed" }))
        {
            Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        }
        // No definitions yet, so no custom value is known: a 400 naming it, not a 500 from a missing column.
        using (var unknown = await api.PostAsJsonAsync(users, new { email = $"x@{slug}.example", name = "X", custom = new { plan = "pro" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        }
        using (var filtered = await api.GetAsync($"{users}?custom.plan=pro"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, filtered.StatusCode);
        }
        Assert.Equal(TenantMigrations.Initial, await _kit.Tenants.AppliedMigrationAsync(slug));

        using (var defined = await api.PostAsJsonAsync($"/api/tenants/{slug}/custom-fields", new { entity = "users", name = "plan", type = "text" }))
        {
            Assert.Equal(HttpStatusCode.Created, defined.StatusCode); // held while the tenant was upgraded
        }
        Assert.Equal(TenantMigrations.Latest, await _kit.Tenants.AppliedMigrationAsync(slug));
        using (var created = await api.PostAsJsonAsync(users, new { email = $"y@{slug}.example", name = "Y", custom = new { plan = "pro" } }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var byPlan = await api.GetFromJsonAsync<JsonElement>($"{users}?custom.plan=pro");
        Assert.Equal([$"y@{slug}.example"], byPlan.GetProperty("items").EnumerateArray().Select(u => u.GetProperty("email").GetString()!).ToArray());
    }
}
