using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TenantAspire.Tests.Rollouts;

/// <summary>
/// The upgrade a running install goes through: the fleet built by the release before the second tenant migration (its workers
/// pinned at the first one), the stack stopped, the new release started on the same data folder. Its workers see tenants behind
/// their newest migration and roll them forward by themselves.
/// </summary>
public sealed class UpgradeTests(ITestOutputHelper output)
{
    private sealed class ReleaseBefore(string root) : RolloutStackFixture(root, keepDataRoot: true);

    private sealed class ReleaseAfter(string root) : AspireAppFixture(root, keepDataRoot: true);

    [Fact]
    public async Task An_install_from_before_the_change_has_every_tenant_on_it_after_the_upgrade()
    {
        var root = Path.Combine("/var/tmp", "tenantaspire-tests", "upgrade-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            List<string> fleet;
            var before = new ReleaseBefore(root);
            await before.InitializeAsync();
            try
            {
                fleet = await new RolloutTestKit(before).FleetAtNAsync("upg", 3);
            }
            finally
            {
                await before.DisposeAsync();
            }

            var after = new ReleaseAfter(root);
            await after.InitializeAsync();
            try
            {
                var kit = new RolloutTestKit(after);
                await Eventually.TrueAsync(async () =>
                {
                    foreach (var slug in fleet)
                    {
                        if (await kit.Tenants.CatalogScalarAsync<string>("SELECT schema_version FROM tenants WHERE slug = $1", slug) != TenantMigrations.Latest)
                        {
                            return false;
                        }
                    }
                    return true;
                }, TimeSpan.FromSeconds(60), "every tenant of the old release reached the new migration");
                foreach (var slug in fleet)
                {
                    await kit.AssertMigratedWithRowsAsync(slug);
                }
                using var admin = after.PlatformAdmin();
                var rollouts = await admin.GetFromJsonAsync<JsonElement>("/api/rollouts");
                output.WriteLine(rollouts.ToString());
                // Exactly one rollout to the new migration, started by the workers themselves (two workers raced for it).
                var auto = Assert.Single(rollouts.GetProperty("items").EnumerateArray(),
                    r => r.GetProperty("target").GetString() == TenantMigrations.Latest);
                Assert.Equal("provisioning-worker (auto-rollout)", auto.GetProperty("startedBy").GetString());
                await Eventually.TrueAsync(async () => (await admin.GetFromJsonAsync<JsonElement>($"/api/rollouts/{auto.GetProperty("id").GetString()}"))
                    .GetProperty("state").GetString() == "completed", TimeSpan.FromSeconds(30), "the auto-rollout completed");
                using var tasks = await after.ApiAs(fleet[0], TenantClaims.Member).GetAsync($"/api/tenants/{fleet[0]}/users");
                Assert.Equal(HttpStatusCode.OK, tasks.StatusCode);
            }
            finally
            {
                await after.DisposeAsync();
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
