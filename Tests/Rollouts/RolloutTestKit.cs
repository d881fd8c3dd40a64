using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Rollouts;

/// <summary>Builds fleets at version N on the rollout stack and drives rollouts through the admin API.</summary>
public sealed class RolloutTestKit(AspireAppFixture fixture)
{
    public TenantTestKit Tenants { get; } = new(fixture);

    /// <summary>Active tenants at the first migration, each with one user; the first <paramref name="canaries"/> flagged canary.</summary>
    public async Task<List<string>> FleetAtNAsync(string prefix, int count, int canaries = 0)
    {
        var slugs = Enumerable.Range(0, count).Select(i => TenantTestKit.NewSlug($"{prefix}{i}")).ToList();
        using (var admin = fixture.PlatformAdmin())
        {
            for (var i = 0; i < count; i++)
            {
                using var created = await admin.PostAsJsonAsync("/api/tenants", new { slug = slugs[i], name = "Rollout " + i, canary = i < canaries });
                Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
            }
        }
        foreach (var slug in slugs)
        {
            var tenant = await Tenants.WaitForStatusAsync(slug, "active");
            Assert.Equal(TenantMigrations.Initial, tenant.GetProperty("schemaVersion").GetString());
            Assert.True(tenant.GetProperty("schemaBehind").GetBoolean());
            using var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
            using var user = await api.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = $"first@{slug}.example", name = "First" });
            Assert.Equal(HttpStatusCode.Created, user.StatusCode); // the users endpoints serve a tenant at N
        }
        return slugs;
    }

    public async Task<JsonElement> StartAsync(object body)
    {
        using var admin = fixture.PlatformAdmin();
        using var response = await admin.PostAsJsonAsync("/api/rollouts", body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{response.StatusCode}: {json}");
        return json;
    }

    public async Task<JsonElement> GetAsync(string id)
    {
        using var admin = fixture.PlatformAdmin();
        return await admin.GetFromJsonAsync<JsonElement>($"/api/rollouts/{id}");
    }

    public async Task<JsonElement> WaitForStateAsync(string id, string state, TimeSpan? timeout = null)
    {
        JsonElement last = default;
        try
        {
            await Eventually.TrueAsync(async () => (last = await GetAsync(id)).GetProperty("state").GetString() == state,
                timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"rollout {id} did not reach '{state}'; last seen: {last}\n" +
                await fixture.RecentLogsAsync("provisioning-worker"), e);
        }
        return last;
    }

    public async Task<HttpResponseMessage> TransitionAsync(string id, string verb)
    {
        using var admin = fixture.PlatformAdmin();
        return await admin.PostAsync($"/api/rollouts/{id}/{verb}", null);
    }

    /// <summary>The tenant's row in a rollout: (state, attempts, from, to, completed at).</summary>
    public async Task<(string State, int Attempts, string? From, string? To, DateTime? CompletedAt)> RowAsync(string rolloutId, string slug)
    {
        await using var connection = await Tenants.OpenSuperuserAsync(fixture.CatalogDatabase);
        await using var command = new Npgsql.NpgsqlCommand("""
            SELECT state, attempts, from_migration, to_migration, completed_at FROM schema_rollout_tenants
             WHERE rollout_id = $1 AND tenant_slug = $2
            """, connection);
        command.Parameters.Add(new() { Value = Guid.Parse(rolloutId) });
        command.Parameters.Add(new() { Value = slug });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"{slug} has no row in rollout {rolloutId}");
        return (reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetDateTime(4));
    }

    /// <summary>Times the tenant's database was migrated (its "migrated" audit events).</summary>
    public async Task<int> MigrationsOfAsync(string slug) =>
        (await Tenants.AuditAsync(slug)).Count(a => a.Action == "migrated");

    /// <summary>At N + 1, in its own history and in the catalog, with its first user still there.</summary>
    public async Task AssertMigratedWithRowsAsync(string slug)
    {
        Assert.Equal(TenantMigrations.Latest, await Tenants.AppliedMigrationAsync(slug));
        Assert.Equal(TenantMigrations.Latest, await Tenants.CatalogScalarAsync<string>("SELECT schema_version FROM tenants WHERE slug = $1", slug));
        using var api = fixture.ApiAs(slug, TenantClaims.Member);
        var users = await api.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/users");
        Assert.Equal(1, users.GetProperty("total").GetInt32());
    }
}
