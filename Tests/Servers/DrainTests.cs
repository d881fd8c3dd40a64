using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TenantAspire.Tests.Servers;

[Collection(SettingsStacksCollection.Name)]
public sealed class DrainTests(ServersStackFixture fixture, ITestOutputHelper output) : OnSharedStack(fixture)
{
    private static readonly string[] Replicas = ["tenant-api", AspireAppFixture.SecondApi];
    private readonly ServerTestKit _kit = new(fixture);

    private async Task<JsonElement> ServerAsync(string name)
    {
        using var admin = fixture.PlatformAdmin();
        return await admin.GetFromJsonAsync<JsonElement>($"/api/servers/{name}");
    }

    [Fact]
    public async Task Draining_a_server_with_twenty_tenants_moves_every_one_with_its_data_and_closes_the_server()
    {
        // Placement spreads standard tenants over both servers: create until the premium one holds twenty of ours.
        var server = ServersStackFixture.Premium;
        var slugs = new List<string>();
        var onServer = new List<string>();
        while (onServer.Count < 20 && slugs.Count < 80)
        {
            var (slug, placed) = await _kit.ActiveAsync("dr");
            slugs.Add(slug);
            if (placed == server)
            {
                onServer.Add(slug);
            }
        }
        var premiumTier = (await ServerAsync(server)).GetProperty("tenantsByStatus");
        output.WriteLine($"{server} before: {premiumTier}");
        // Premium-tier tenants there would have nowhere to go: the drain must refuse then. Change them to standard first.
        using (var admin = fixture.PlatformAdmin())
        {
            var all = await admin.GetFromJsonAsync<JsonElement>("/api/tenants?pageSize=100&status=active");
            foreach (var t in all.GetProperty("items").EnumerateArray().Where(t => t.GetProperty("server").GetString() == server
                                                                                  && t.GetProperty("tier").GetString() == "premium"))
            {
                using var refused = await admin.PostAsync($"/api/servers/{server}/drain", null);
                Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
                var move = await _kit.ChangeTierAsync(t.GetProperty("slug").GetString()!, "standard");
                if (move is { } m)
                {
                    await _kit.WaitForMoveAsync(t.GetProperty("slug").GetString()!, m.GetProperty("id").GetString()!, "Completed", "Switched");
                }
            }
        }
        foreach (var slug in onServer)
        {
            using var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
            using var user = await api.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = $"kept@{slug}.example", name = "Kept" });
            Assert.Equal(HttpStatusCode.Created, user.StatusCode);
        }
        Assert.True(onServer.Count >= 20, $"{onServer.Count} of the test's tenants on {server}");

        using (var admin = fixture.PlatformAdmin())
        using (var drain = await admin.PostAsync($"/api/servers/{server}/drain", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, drain.StatusCode);
        }
        var progress = new List<int>();
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                var state = await ServerAsync(server);
                progress.Add(state.GetProperty("movesOpen").GetInt32());
                Assert.InRange(state.GetProperty("movesOpen").GetInt32(), 0, 4); // Moves:DrainConcurrency
                return state.GetProperty("state").GetString() == "closed";
            }, TimeSpan.FromSeconds(240), $"{server} drained");
        }
        finally
        {
            using var admin = fixture.PlatformAdmin();
            using var reopen = await admin.PostAsync($"/api/servers/{server}/open", null); // leave the stack as found
        }
        output.WriteLine($"open moves seen while draining: {string.Join(",", progress)}");
        Assert.Contains(progress, p => p > 0); // progress was visible
        foreach (var slug in onServer)
        {
            var tenant = await _kit.TenantAsync(slug);
            Assert.Equal(ServersStackFixture.Standard, tenant.GetProperty("server").GetString());
            Assert.Equal("active", tenant.GetProperty("status").GetString());
            using var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
            var users = await api.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/users");
            Assert.Contains(users.GetProperty("items").EnumerateArray(), u => u.GetProperty("email").GetString() == $"kept@{slug}.example");
        }
    }

    [Fact]
    public async Task Two_api_replicas_under_load_never_hold_more_than_the_servers_budget()
    {
        var slugs = new List<string>();
        while (slugs.Count < 8)
        {
            slugs.Add(await _kit.OnStandardServerAsync("bud"));
        }
        var clients = slugs.SelectMany(s => new[]
        {
            fixture.ApiOn("tenant-api", s, TenantClaims.TenantAdmin), fixture.ApiOn(AspireAppFixture.SecondApi, s, TenantClaims.TenantAdmin),
        }).ToList();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var load = clients.SelectMany(client => Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.GetAsync($"/api/tenants/{TenantOf(client)}/users", CancellationToken.None);
                statuses.Add(response.StatusCode);
            }
        }))).ToList();
        var peak = 0;
        while (!stop.IsCancellationRequested)
        {
            var now = await _kit.ScalarOnAsync<long>(ServersStackFixture.Standard, "postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE application_name IN ('tenant-api', 'tenant-api-2')");
            peak = Math.Max(peak, (int)now);
            await Task.Delay(20);
        }
        await Task.WhenAll(load);
        output.WriteLine($"peak {peak} tenant connections on {ServersStackFixture.Standard}; " +
            string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{(int)g.Key}: {g.Count()}")));
        Assert.InRange(peak, 1, ServersStackFixture.StandardBudget);
        foreach (var replica in Replicas)
        {
            using var admin = fixture.ApiOn(replica, null, TenantClaims.PlatformAdmin);
            var registry = await admin.GetFromJsonAsync<JsonElement>("/api/diagnostics/registry");
            // Each of the two processes holds at most half of the server's budget.
            Assert.Equal(ServersStackFixture.StandardBudget / 2,
                registry.GetProperty("servers").GetProperty(ServersStackFixture.Standard).GetProperty("budget").GetInt32());
        }
        Assert.DoesNotContain(statuses, s => s == HttpStatusCode.InternalServerError);
        Assert.Contains(statuses, s => s == HttpStatusCode.OK);
        foreach (var c in clients)
        {
            c.Dispose();
        }

        string TenantOf(HttpClient client) => slugs[clients.IndexOf(client) / 2];
    }
}
