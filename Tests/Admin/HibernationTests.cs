using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TenantAspire.ProvisioningWorker.Hibernation;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Admin;

[Collection(AspireAppCollection.Name)]
public sealed class HibernationTests(AspireAppFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task A_hibernated_tenant_holds_no_connection_and_its_first_request_is_held_while_it_wakes_then_served()
    {
        var (slug, tenant, member) = await HibernatedTenantAsync("sleep");
        using var admin = fixture.PlatformAdmin();
        using (var suspend = await admin.PostAsync($"/api/tenants/{slug}/suspend", null))
        {
            await TenantLifecycleTests.AssertProblemAsync(suspend, HttpStatusCode.Conflict); // only an active tenant can be suspended
        }

        // The first user of a sleeping tenant is not told to retry: the request waits while the worker wakes the tenant.
        using (var first = await member.GetAsync($"/api/tenants/{slug}/users"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            var users = await first.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("sleeper@example.com", users.GetProperty("items")[0].GetProperty("email").GetString());
        }
        Assert.True(await _kit.ScalarAsync<bool>("SELECT datallowconn FROM pg_database WHERE datname = $1", tenant.DatabaseName));
        var actions = (await _kit.AuditAsync(slug)).Select(a => a.Action).ToList();
        Assert.Equal(["create-requested", "provisioned", "hibernated", "woken"], actions);
    }

    [Fact]
    public async Task A_wake_slower_than_the_hold_answers_503_with_Retry_After_and_the_retry_is_served()
    {
        var (slug, _, member) = await HibernatedTenantAsync("slowwake");
        await _kit.InjectFaultAsync(slug, "open-database", "delay:4000"); // longer than the API's 2 s hold

        using (var sleeping = await member.GetAsync($"/api/tenants/{slug}/users"))
        {
            await TenantLifecycleTests.AssertProblemAsync(sleeping, HttpStatusCode.ServiceUnavailable);
            Assert.True(sleeping.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After");
        }
        // That request asked for a wake: retrying as told gets the tenant back, data intact.
        await Eventually.TrueAsync(async () =>
        {
            using var response = await member.GetAsync($"/api/tenants/{slug}/users");
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(20), "tenant woken");
        await _kit.InjectFaultAsync(slug, "open-database", null);
    }

    [Fact]
    public async Task A_replica_that_missed_the_hibernation_holds_the_next_request_while_the_tenant_wakes_instead_of_failing_it()
    {
        var slug = TenantTestKit.NewSlug("deaf");
        (await _kit.CreateAsync(slug)).Dispose();
        await _kit.WaitForStatusAsync(slug, "active");
        await using var replica = await DeafReplica.StartAsync(fixture);
        using var deaf = replica.TenantAdmin(slug);
        using (var before = await deaf.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = "before@example.com", name = "Before" }))
        {
            Assert.Equal(HttpStatusCode.Created, before.StatusCode); // the replica now has the route cached and a connection open
        }

        using var admin = fixture.PlatformAdmin();
        using (var hibernate = await admin.PostAsync($"/api/tenants/{slug}/hibernate", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, hibernate.StatusCode);
        }
        await _kit.WaitForStatusAsync(slug, "hibernated");

        // The replica still has the tenant active; the hibernation ended its connection and closed the database. Its next request
        // fails on that before it changes anything, reads the catalog's route, and is held while the tenant wakes.
        using (var after = await deaf.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = "after@example.com", name = "After" }))
        {
            Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        }
        using var member = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        var users = await member.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/users");
        Assert.Equal(["after@example.com", "before@example.com"],
            users.GetProperty("items").EnumerateArray().Select(u => u.GetProperty("email").GetString()).Order(StringComparer.Ordinal));
        Assert.Contains("woken", (await _kit.AuditAsync(slug)).Select(a => a.Action));
    }

    /// <summary>An active tenant with one user, then hibernated: its database closed and no session left on it.</summary>
    private async Task<(string Slug, TenantAspire.Tenancy.Catalog.Tenant Tenant, HttpClient Member)> HibernatedTenantAsync(string prefix)
    {
        var slug = TenantTestKit.NewSlug(prefix);
        (await _kit.CreateAsync(slug)).Dispose();
        await _kit.WaitForStatusAsync(slug, "active");
        var (tenant, _) = await _kit.CatalogRowAsync(slug);
        var member = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
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
        // The hibernation's final backup opens the database for its dump and closes it again: its sessions are gone a moment
        // after the close, and from then on nothing holds a connection.
        await Eventually.TrueAsync(async () => await _kit.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
            tenant.DatabaseName) == 0 && await _kit.ScalarAsync<bool>("SELECT NOT datallowconn FROM pg_database WHERE datname = $1",
            tenant.DatabaseName), TimeSpan.FromSeconds(10), "no session in the closed database");
        return (slug, tenant, member);
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
