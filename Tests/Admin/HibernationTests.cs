using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TenantAspire.ProvisioningWorker.Provisioning;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Admin;

[Collection(AspireAppCollection.Name)]
public sealed class HibernationTests(AspireAppFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task A_hibernated_tenant_holds_no_connection_answers_503_and_its_first_request_wakes_it()
    {
        var slug = TenantTestKit.NewSlug("sleep");
        (await _kit.CreateAsync(slug)).Dispose();
        await _kit.WaitForStatusAsync(slug, "active");
        var (tenant, _) = await _kit.CatalogRowAsync(slug);
        using var member = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        using (var created = await member.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = "sleeper@example.com", name = "Sleeper" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using var admin = fixture.PlatformAdmin();

        using (var hibernate = await admin.PostAsync($"/api/tenants/{slug}/hibernate", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, hibernate.StatusCode);
        }
        await _kit.WaitForStatusAsync(slug, "hibernated");
        await Eventually.TrueAsync(async () => await _kit.ScalarAsync<bool>(
            "SELECT NOT datallowconn FROM pg_database WHERE datname = $1", tenant.DatabaseName), TimeSpan.FromSeconds(10), "database closed");
        Assert.Equal(0L, await _kit.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", tenant.DatabaseName));
        using (var suspend = await admin.PostAsync($"/api/tenants/{slug}/suspend", null))
        {
            await TenantLifecycleTests.AssertProblemAsync(suspend, HttpStatusCode.Conflict); // only an active tenant can be suspended
        }

        using (var sleeping = await member.GetAsync($"/api/tenants/{slug}/users"))
        {
            await TenantLifecycleTests.AssertProblemAsync(sleeping, HttpStatusCode.ServiceUnavailable);
            Assert.True(sleeping.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After");
        }

        // That request asked for a wake: retrying as told gets the tenant back, data intact.
        JsonElement users = default;
        await Eventually.TrueAsync(async () =>
        {
            using var response = await member.GetAsync($"/api/tenants/{slug}/users");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }
            users = await response.Content.ReadFromJsonAsync<JsonElement>();
            return true;
        }, TimeSpan.FromSeconds(15), "tenant woken");
        Assert.Equal("sleeper@example.com", users.GetProperty("items")[0].GetProperty("email").GetString());
        Assert.True(await _kit.ScalarAsync<bool>("SELECT datallowconn FROM pg_database WHERE datname = $1", tenant.DatabaseName));
        var actions = (await _kit.AuditAsync(slug)).Select(a => a.Action).ToList();
        Assert.Equal(["create-requested", "provisioned", "hibernated", "woken"], actions);
    }

    [Fact]
    public async Task Hibernate_and_wake_answer_409_from_states_they_do_not_apply_to()
    {
        var slug = TenantTestKit.NewSlug("nosleep");
        (await _kit.CreateAsync(slug)).Dispose();
        await _kit.WaitForStatusAsync(slug, "active");
        using var admin = fixture.PlatformAdmin();
        (await admin.PostAsync($"/api/tenants/{slug}/suspend", null)).Dispose();

        using var hibernate = await admin.PostAsync($"/api/tenants/{slug}/hibernate", null);
        await TenantLifecycleTests.AssertProblemAsync(hibernate, HttpStatusCode.Conflict);
        using var wake = await admin.PostAsync($"/api/tenants/{slug}/wake", null);
        await TenantLifecycleTests.AssertProblemAsync(wake, HttpStatusCode.Conflict);
        using var unknown = await admin.PostAsync($"/api/tenants/{TenantTestKit.NewSlug("nobody")}/hibernate", null);
        await TenantLifecycleTests.AssertProblemAsync(unknown, HttpStatusCode.NotFound);
        Assert.Equal("suspended", (await _kit.WaitForStatusAsync(slug, "suspended")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_monitor_hibernates_a_tenant_without_transactions_and_spares_a_busy_one()
    {
        // The in-process worker (its own catalog) runs the monitor with the default 30 min; the scans below pass their own clock.
        var hosts = await fixture.InProcessAsync();
        using var admin = hosts.ApiAs(null, TenantClaims.PlatformAdmin);
        string idle = TenantTestKit.NewSlug("idle"), busy = TenantTestKit.NewSlug("busy");
        foreach (var slug in new[] { idle, busy })
        {
            using var created = await admin.PostAsJsonAsync("/api/tenants", new { slug, name = "Monitor " + slug });
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }
        foreach (var slug in new[] { idle, busy })
        {
            await Eventually.TrueAsync(async () => await StatusAsync(admin, slug) == "active", TimeSpan.FromSeconds(60), $"{slug} active");
        }
        const string Transactions = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1";
        var busyDatabase = await hosts.DatabaseNameAsync(busy);
        var before = await _kit.ScalarAsync<long>(Transactions, busyDatabase);
        var monitor = hosts.WorkerServices.GetRequiredService<HibernationMonitor>();
        var start = DateTimeOffset.UtcNow;
        await monitor.ScanAsync(start, CancellationToken.None); // baseline: every tenant's transaction count, as of now

        // The busy tenant's database runs a transaction, the idle one's none. (Not through the in-process API: its tenant
        // requests would take one of the two tenant.id values the telemetry tests' metric cap allows.)
        await using (var session = await _kit.OpenSuperuserAsync(busyDatabase))
        await using (var query = new Npgsql.NpgsqlCommand("SELECT count(*) FROM users", session))
        {
            await query.ExecuteScalarAsync();
        }
        await Eventually.TrueAsync(async () => await _kit.ScalarAsync<long>(Transactions, busyDatabase) > before,
            TimeSpan.FromSeconds(15), "the busy tenant's transactions reach pg_stat_database");

        var hibernated = await monitor.ScanAsync(start + TimeSpan.FromHours(1), CancellationToken.None);
        Assert.Contains(idle, hibernated);
        Assert.DoesNotContain(busy, hibernated);
        await Eventually.TrueAsync(async () => await StatusAsync(admin, idle) == "hibernated", TimeSpan.FromSeconds(30), $"{idle} hibernated");
        Assert.Equal("active", await StatusAsync(admin, busy));
    }

    private static async Task<string?> StatusAsync(HttpClient admin, string slug) =>
        (await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}")).GetProperty("status").GetString();
}
