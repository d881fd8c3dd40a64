using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Admin;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.RequestPath;

[Collection(AspireAppCollection.Name)]
public sealed class RequestPathTests(AspireAppFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task Registry_keeps_live_data_sources_and_backends_within_budget_and_evicted_tenants_still_work()
    {
        var slugs = Enumerable.Range(0, 20).Select(i => TenantTestKit.NewSlug($"reg{i}")).ToArray();
        foreach (var r in await Task.WhenAll(slugs.Select(s => _kit.CreateAsync(s))))
        {
            r.Dispose();
        }
        await Task.WhenAll(slugs.Select(s => _kit.WaitForStatusAsync(s, "active", TimeSpan.FromSeconds(60))));
        using var admin = fixture.PlatformAdmin();

        foreach (var slug in slugs.Concat(slugs.Take(3))) // the first three again: evicted by now, must still work
        {
            using var response = await admin.GetAsync($"/api/tenants/{slug}/users");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Concurrently: three requests per tenant for all 20 at once, while pg_stat_activity is sampled every few ms throughout
        // (not only between requests), so a moment over the budget would be seen.
        using var sampling = new CancellationTokenSource();
        long maxBackends = 0, samples = 0;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var backends = await _kit.ScalarAsync<long>(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tenant-api' AND datname LIKE 'tdb\\_%'");
                maxBackends = Math.Max(maxBackends, backends);
                samples++;
                await Task.Delay(3);
            }
        });
        var statuses = await Task.WhenAll(slugs.SelectMany(s => Enumerable.Repeat(s, 3)).Select(async slug =>
        {
            using var response = await admin.GetAsync($"/api/tenants/{slug}/users");
            return response.StatusCode;
        }));
        await sampling.CancelAsync();
        await sampler;

        Assert.True(samples > 3, $"only {samples} samples");
        Assert.InRange(maxBackends, 1, AspireAppFixture.RegistryBudget);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{s}"));
        // 60 requests for 20 tenants through 5 connections (most on one-off window connections, SCRAM each): any that wait past
        // the acquire timeout get 503 + Retry-After by design; most are served.
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= statuses.Length / 2, string.Join(",", statuses));
    }

    [Fact]
    public async Task A_burst_on_one_tenant_queues_for_its_own_connection_and_every_request_is_served()
    {
        var slug = TenantTestKit.NewSlug("queue");
        await _kit.CreateActiveSlugAsync(slug);
        var database = await _kit.CatalogScalarAsync<string>("SELECT database_name FROM tenants WHERE slug = $1", slug);
        using var admin = fixture.PlatformAdmin();

        // 48 at once on a tenant allowed one connection per replica: each release hands its slot to the oldest waiter, so all
        // are served in turn (none lost, none left waiting past the acquire timeout), and the tenant never holds more.
        using var sampling = new CancellationTokenSource();
        long maxBackends = 0;
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                maxBackends = Math.Max(maxBackends, await _kit.ScalarAsync<long>(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'tenant-api%'", database!));
                await Task.Delay(3);
            }
        });
        var statuses = await Task.WhenAll(Enumerable.Range(0, 48).Select(async _ =>
        {
            using var response = await admin.GetAsync($"/api/tenants/{slug}/users?pageSize=1");
            return response.StatusCode;
        }));
        await sampling.CancelAsync();
        await sampler;

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.InRange(maxBackends, 1, 2); // one per API replica
    }

    [Fact]
    public async Task A_burst_of_one_off_tenants_does_not_evict_the_warm_ones()
    {
        var warm = Enumerable.Range(0, 3).Select(i => TenantTestKit.NewSlug($"warm{i}")).ToArray();
        var oneOff = Enumerable.Range(0, 8).Select(i => TenantTestKit.NewSlug($"once{i}")).ToArray();
        foreach (var r in await Task.WhenAll(warm.Concat(oneOff).Select(s => _kit.CreateAsync(s))))
        {
            r.Dispose();
        }
        await Task.WhenAll(warm.Concat(oneOff).Select(s => _kit.WaitForStatusAsync(s, "active", TimeSpan.FromSeconds(60))));
        var warmDatabases = new List<string>();
        foreach (var slug in warm)
        {
            warmDatabases.Add((await _kit.CatalogRowAsync(slug)).Tenant.DatabaseName);
        }
        using var admin = fixture.PlatformAdmin();
        async Task GetUsersAsync(string slug)
        {
            using var response = await admin.GetAsync($"/api/tenants/{slug}/users?pageSize=1");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        for (var round = 0; round < 20; round++)
        {
            foreach (var slug in warm)
            {
                await GetUsersAsync(slug);
            }
        }
        const string ApiBackends = "SELECT array_agg(pid ORDER BY pid) FROM pg_stat_activity WHERE application_name = 'tenant-api' AND datname = ANY($1)";
        var before = await _kit.ScalarAsync<int[]>(ApiBackends, new object[] { warmDatabases.ToArray() });
        var transientsBefore = await RegistryCounterAsync(admin, "transients");

        foreach (var slug in oneOff)
        {
            await GetUsersAsync(slug); // budget 5: 4 main-region connections + a window of 1
        }

        // The warm tenants kept the very same server connections; the one-off tenants were served from the window. (Tenants of
        // earlier tests may be even hotter and keep some main-region places, so not every warm tenant need have one; those that
        // had one must keep it.)
        Assert.NotNull(before);
        Assert.NotEmpty(before);
        Assert.Equal(before, await _kit.ScalarAsync<int[]>(ApiBackends, new object[] { warmDatabases.ToArray() }));
        var transients = await RegistryCounterAsync(admin, "transients") - transientsBefore;
        Assert.InRange(transients, oneOff.Length / 2, oneOff.Length);
        foreach (var slug in warm)
        {
            await GetUsersAsync(slug);
        }
        // Served again, the warm tenants still hold at least as many connections (one warm tenant may take another's place: the
        // admission policy judges them by frequency, and both are warm), and no one-off tenant served from the window kept one.
        var after = await _kit.ScalarAsync<int[]>(ApiBackends, new object[] { warmDatabases.ToArray() });
        Assert.True(after is not null && after.Length >= before.Length, $"warm backends before {string.Join(",", before)}, after {string.Join(",", after ?? [])}");
        var oneOffDatabases = new List<string>();
        foreach (var slug in oneOff)
        {
            oneOffDatabases.Add((await _kit.CatalogRowAsync(slug)).Tenant.DatabaseName);
        }
        // A one-off tenant given a spare main-region place (there is one when no earlier test's tenant holds it) keeps its
        // connection like any admitted tenant, until the registry's idle expiry; the rest were served by one-off connections.
        var admitted = oneOff.Length - (int)transients;
        await Eventually.TrueAsync(async () => ((await _kit.ScalarAsync<int[]>(ApiBackends, new object[] { oneOffDatabases.ToArray() })) ?? []).Length <= admitted,
            TimeSpan.FromSeconds(5), $"the one-off tenants' window connections are closed (at most {admitted} admitted keep theirs)");
    }

    [Fact]
    public async Task A_tenant_in_light_steady_use_keeps_its_connection_instead_of_reconnecting()
    {
        var slug = TenantTestKit.NewSlug("steady");
        (await _kit.CreateAsync(slug)).Dispose();
        await _kit.WaitForStatusAsync(slug, "active");
        var database = (await _kit.CatalogRowAsync(slug)).Tenant.DatabaseName;
        using var admin = fixture.PlatformAdmin();
        async Task GetUsersAsync()
        {
            using var response = await admin.GetAsync($"/api/tenants/{slug}/users?pageSize=1");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        // Warm until it holds a main-region place: earlier tests' tenants may hold the places, and the admission policy admits
        // a newcomer once it is more frequent than an idle incumbent; until then it is served by the admission window's one-off
        // connections, whose backends are gone a moment after the request.
        const string ApiBackends = "SELECT array_agg(pid ORDER BY pid) FROM pg_stat_activity WHERE application_name = 'tenant-api' AND datname = $1";
        int[]? first = null;
        for (var i = 0; i < 60 && first is null; i++)
        {
            await GetUsersAsync();
            if (i >= 19)
            {
                await Task.Delay(300);
                first = await _kit.ScalarAsync<int[]>(ApiBackends, database);
            }
        }
        Assert.NotNull(first);

        // A request every 3 s for 21 s: idle at every one of Npgsql's pruning samples (every 5 s, 15 s idle lifetime), which
        // used to close the connection so that the next request logged in again. The registry's idle expiry (30 s) is not reached.
        for (var i = 0; i < 7; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            await GetUsersAsync();
            Assert.Equal(first, await _kit.ScalarAsync<int[]>(ApiBackends, database));
        }
    }

    [Fact]
    public async Task Pages_report_the_total_whether_or_not_the_first_page_is_full()
    {
        var slug = TenantTestKit.NewSlug("pages");
        (await _kit.CreateAsync(slug)).Dispose();
        await _kit.WaitForStatusAsync(slug, "active");
        using var admin = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        foreach (var name in new[] { "a", "b", "c" })
        {
            using var created = await admin.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = $"{name}@example.com", name });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        foreach (var (query, items) in new[] { ("page=1&pageSize=2", 2), ("page=2&pageSize=2", 1), ("page=3&pageSize=2", 0), ("pageSize=5", 3) })
        {
            var page = await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/users?{query}");
            Assert.Equal(items, page.GetProperty("items").GetArrayLength());
            Assert.Equal(3, page.GetProperty("total").GetInt32());
        }
    }

    private static async Task<long> RegistryCounterAsync(HttpClient admin, string counter) =>
        (await admin.GetFromJsonAsync<JsonElement>("/api/diagnostics/registry")).GetProperty(counter).GetInt64();

    [Fact]
    public async Task Suspending_a_tenant_is_refused_by_every_api_replica_within_a_second()
    {
        var slug = TenantTestKit.NewSlug("susp");
        (await _kit.CreateAsync(slug)).Dispose();
        await _kit.WaitForStatusAsync(slug, "active");
        using var one = fixture.ApiOn("tenant-api", slug, TenantClaims.Member);
        using var two = fixture.ApiOn(AspireAppFixture.SecondApi, slug, TenantClaims.Member);
        // Both replicas have the route cached as active.
        Assert.Equal(HttpStatusCode.OK, (await one.GetAsync($"/api/tenants/{slug}/users?pageSize=1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await two.GetAsync($"/api/tenants/{slug}/users?pageSize=1")).StatusCode);

        using var admin = fixture.PlatformAdmin();
        (await admin.PostAsync($"/api/tenants/{slug}/suspend", null)).Dispose();
        var deadline = DateTime.UtcNow.AddSeconds(1);

        foreach (var replica in new[] { one, two })
        {
            HttpStatusCode status;
            do
            {
                using var response = await replica.GetAsync($"/api/tenants/{slug}/users");
                status = response.StatusCode;
            } while (status != HttpStatusCode.Forbidden && DateTime.UtcNow < deadline && await Task.Delay(20).ContinueWith(_ => true));
            Assert.Equal(HttpStatusCode.Forbidden, status);
        }
    }

    [Fact]
    public async Task Users_crud_with_unique_email_and_projects_owned_within_the_tenant()
    {
        string a = TenantTestKit.NewSlug("crud-a"), b = TenantTestKit.NewSlug("crud-b");
        (await _kit.CreateAsync(a)).Dispose();
        (await _kit.CreateAsync(b)).Dispose();
        await _kit.WaitForStatusAsync(a, "active");
        await _kit.WaitForStatusAsync(b, "active");
        using var adminA = fixture.ApiAs(a, TenantClaims.TenantAdmin);
        using var adminB = fixture.ApiAs(b, TenantClaims.TenantAdmin);

        using var created = await adminA.PostAsJsonAsync($"/api/tenants/{a}/users", new { email = "Ada@Example.com", name = "Ada" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var user = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = user.GetProperty("id").GetGuid();
        Assert.Equal($"/api/tenants/{a}/users/{id}", created.Headers.Location?.ToString());

        using var duplicate = await adminA.PostAsJsonAsync($"/api/tenants/{a}/users", new { email = "ada@example.com", name = "Ada again" });
        await TenantLifecycleTests.AssertProblemAsync(duplicate, HttpStatusCode.Conflict);
        using var sameEmailOtherTenant = await adminB.PostAsJsonAsync($"/api/tenants/{b}/users", new { email = "ada@example.com", name = "Other Ada" });
        Assert.Equal(HttpStatusCode.Created, sameEmailOtherTenant.StatusCode);
        var otherId = (await sameEmailOtherTenant.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        using var updated = await adminA.PutAsJsonAsync($"/api/tenants/{a}/users/{id}", new { email = "ada@lovelace.example", name = "Ada L." });
        Assert.Equal("ada@lovelace.example", (await updated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("email").GetString());
        // B's user id does not exist in A.
        await TenantLifecycleTests.AssertProblemAsync(await adminA.GetAsync($"/api/tenants/{a}/users/{otherId}"), HttpStatusCode.NotFound);

        using var project = await adminA.PostAsJsonAsync($"/api/tenants/{a}/projects", new { name = "Engine", ownerId = id });
        Assert.Equal(HttpStatusCode.Created, project.StatusCode);
        using var foreignOwner = await adminA.PostAsJsonAsync($"/api/tenants/{a}/projects", new { name = "Stolen", ownerId = otherId });
        await TenantLifecycleTests.AssertProblemAsync(foreignOwner, HttpStatusCode.BadRequest);
        using var ownerBusy = await adminA.DeleteAsync($"/api/tenants/{a}/users/{id}");
        await TenantLifecycleTests.AssertProblemAsync(ownerBusy, HttpStatusCode.Conflict);

        var projectId = (await project.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.NoContent, (await adminA.DeleteAsync($"/api/tenants/{a}/projects/{projectId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await adminA.DeleteAsync($"/api/tenants/{a}/users/{id}")).StatusCode);
        await TenantLifecycleTests.AssertProblemAsync(await adminA.GetAsync($"/api/tenants/{a}/users/{id}"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("ACME")]
    [InlineData("acme' OR '1'='1")]
    [InlineData("../catalog")]
    [InlineData("a,b")]
    public async Task Garbled_tenant_header_is_a_bad_request(string header)
    {
        using var admin = fixture.PlatformAdmin();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users");
        request.Headers.TryAddWithoutValidation("X-Tenant-Id", header);
        await TenantLifecycleTests.AssertProblemAsync(await admin.SendAsync(request), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Oversized_tenant_header_is_a_bad_request()
    {
        using var admin = fixture.PlatformAdmin();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users");
        request.Headers.TryAddWithoutValidation("X-Tenant-Id", "a" + new string('b', 5000));
        await TenantLifecycleTests.AssertProblemAsync(await admin.SendAsync(request), HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("{\"email\": ")]
    [InlineData("{\"email\": 5, \"name\": []}")]
    [InlineData("{\"email\": \"not-an-email\", \"name\": \"x\"}")]
    public async Task Invalid_user_body_is_a_bad_request_and_writes_nothing(string body)
    {
        var slug = TenantTestKit.NewSlug("badbody");
        (await _kit.CreateAsync(slug)).Dispose();
        await _kit.WaitForStatusAsync(slug, "active");
        using var admin = fixture.PlatformAdmin();

        using var response = await admin.PostAsync($"/api/tenants/{slug}/users",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await TenantLifecycleTests.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var list = await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/users");
        Assert.Equal(0, list.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Unknown_tenant_is_not_found_and_provisioning_tenant_is_a_conflict()
    {
        using var admin = fixture.PlatformAdmin();
        await TenantLifecycleTests.AssertProblemAsync(await admin.GetAsync($"/api/tenants/{TenantTestKit.NewSlug("nobody")}/users"), HttpStatusCode.NotFound);

        // Still provisioning: its create-role step is held for 5 s, so the request certainly sees `provisioning`.
        var slow = TenantTestKit.NewSlug("slow");
        await _kit.InjectFaultAsync(slow, "create-role", "delay:5000");
        (await _kit.CreateAsync(slow)).Dispose();
        using (var response = await admin.GetAsync($"/api/tenants/{slow}/users"))
        {
            await TenantLifecycleTests.AssertProblemAsync(response, HttpStatusCode.Conflict);
            Assert.Contains("still being provisioned", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await _kit.InjectFaultAsync(slow, "create-role", null);

        // Failed for good: a different 409 that says so.
        var broken = TenantTestKit.NewSlug("broken");
        await _kit.InjectFaultAsync(broken, "create-role", "permanent");
        (await _kit.CreateAsync(broken)).Dispose();
        await _kit.WaitForStatusAsync(broken, "failed");
        using (var response = await admin.GetAsync($"/api/tenants/{broken}/users"))
        {
            await TenantLifecycleTests.AssertProblemAsync(response, HttpStatusCode.Conflict);
            Assert.Contains("has failed: its provisioning or its deletion did not complete", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task With_redis_stopped_known_tenants_are_still_served_and_the_api_is_degraded_not_down()
    {
        string cached = TenantTestKit.NewSlug("warm"), uncached = TenantTestKit.NewSlug("cold");
        (await _kit.CreateAsync(cached)).Dispose();
        (await _kit.CreateAsync(uncached)).Dispose();
        await _kit.WaitForStatusAsync(cached, "active");
        await _kit.WaitForStatusAsync(uncached, "active");
        using var api = fixture.PlatformAdmin();
        using var second = fixture.ApiOn(AspireAppFixture.SecondApi, null, TenantClaims.PlatformAdmin);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/tenants/{cached}/users")).StatusCode);

        await fixture.App.ResourceCommands.ExecuteCommandAsync("redis", "resource-stop");
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/tenants/{cached}/users")).StatusCode);   // L1
            Assert.Equal(HttpStatusCode.OK, (await second.GetAsync($"/api/tenants/{uncached}/users")).StatusCode); // catalog fallback
            using var health = await api.GetAsync("/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("Degraded", await health.Content.ReadAsStringAsync());
        }
        finally
        {
            await fixture.App.ResourceCommands.ExecuteCommandAsync("redis", "resource-start");
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("redis", cts.Token);
        }
    }
}
