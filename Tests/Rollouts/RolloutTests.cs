using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.ProvisioningWorker.Rollouts;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tests.Infrastructure;
using TenantAspire.Tests.Reliability;
using Xunit.Abstractions;

namespace TenantAspire.Tests.Rollouts;

[Collection(SettingsStacksCollection.Name)]
public sealed class RolloutTests(RolloutStackFixture fixture, ITestOutputHelper output) : OnSharedStack(fixture)
{
    private static readonly int[] AllAtOnce = [100];
    private static readonly int[] HalfThenAll = [50, 100];
    private readonly RolloutTestKit _kit = new(fixture);

    [Fact]
    public async Task A_rollout_takes_the_template_first_then_every_active_and_suspended_tenant_from_N_to_N_plus_1_with_rows_intact()
    {
        var fleet = await _kit.FleetAtNAsync("ro-all", 6, canaries: 2);
        using (var admin = fixture.PlatformAdmin())
        using (var suspend = await admin.PostAsync($"/api/tenants/{fleet[5]}/suspend", null))
        {
            Assert.Equal(HttpStatusCode.OK, suspend.StatusCode); // a suspended tenant is migrated in place too
        }

        var started = await _kit.StartAsync(new { rings = HalfThenAll, parallelism = 4 });
        Assert.Equal(TenantMigrations.Latest, started.GetProperty("target").GetString());
        var id = started.GetProperty("id").GetString()!;
        var done = await _kit.WaitForStateAsync(id, "completed");
        output.WriteLine(done.ToString());

        Assert.Equal(TenantMigrations.Latest, await _kit.Tenants.ScalarInAsync<string>(fixture.CatalogNames.TemplateDatabase,
            "SELECT max(migration_id) FROM \"__EFMigrationsHistory\"", []));
        using (var admin = fixture.PlatformAdmin())
        using (var resume = await admin.PostAsync($"/api/tenants/{fleet[5]}/resume", null))
        {
            Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        }
        foreach (var slug in fleet)
        {
            await _kit.AssertMigratedWithRowsAsync(slug);
            var row = await _kit.RowAsync(id, slug);
            Assert.Equal(("Succeeded", 1, TenantMigrations.Initial, TenantMigrations.Latest), (row.State, row.Attempts, row.From, row.To));
            Assert.Equal(1, await _kit.MigrationsOfAsync(slug));
        }
        // The canaries were ring 0, and every tenant of ring 1 finished after the last canary. (Completion times, not claim times:
        // a claim stamps its time before it waits for the rollout's row lock, which the ring's judge may hold as it moves on.)
        var canariesDone = await _kit.Tenants.CatalogScalarAsync<DateTime>(
            "SELECT max(completed_at) FROM schema_rollout_tenants WHERE rollout_id = $1 AND ring = 0 AND tenant_slug = ANY($2)",
            Guid.Parse(id), fleet.Take(2).ToArray());
        var ring1Done = await _kit.Tenants.CatalogScalarAsync<DateTime>(
            "SELECT min(completed_at) FROM schema_rollout_tenants WHERE rollout_id = $1 AND ring = 1 AND tenant_slug = ANY($2)",
            Guid.Parse(id), fleet.Skip(2).ToArray());
        Assert.True(ring1Done > canariesDone, $"a ring-1 tenant finished at {ring1Done:O}, before the canaries did at {canariesDone:O}");

        // The new schema is in use: tasks on a migrated tenant.
        using var api = fixture.ApiAs(fleet[3], TenantClaims.TenantAdmin);
        var owner = (await api.GetFromJsonAsync<JsonElement>($"/api/tenants/{fleet[3]}/users")).GetProperty("items")[0].GetProperty("id").GetGuid();
        using var project = await api.PostAsJsonAsync($"/api/tenants/{fleet[3]}/projects", new { name = "Launch", ownerId = owner });
        var projectId = (await project.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var task = await api.PostAsJsonAsync($"/api/tenants/{fleet[3]}/projects/{projectId}/tasks", new { title = "Ship it" });
        Assert.Equal(HttpStatusCode.Created, task.StatusCode);
        using var tenant = await fixture.PlatformAdmin().GetAsync($"/api/tenants/{fleet[3]}");
        Assert.False((await tenant.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("schemaBehind").GetBoolean());
    }

    [Fact]
    public async Task A_failing_canary_halts_the_rollout_before_the_next_ring_and_resuming_finishes_without_rerunning_anyone()
    {
        var fleet = await _kit.FleetAtNAsync("ro-halt", 5, canaries: 2);
        await _kit.Tenants.InjectFaultAsync(fleet[0], RolloutTenantMigration.MigrateStep, "permanent");

        var id = (await _kit.StartAsync(new { rings = AllAtOnce, parallelism = 2 })).GetProperty("id").GetString()!;
        var halted = await _kit.WaitForStateAsync(id, "halted");
        output.WriteLine(halted.ToString());

        Assert.Contains(fleet[0], halted.GetProperty("haltReason").GetString());
        Assert.Contains(halted.GetProperty("failures").EnumerateArray(), f => f.GetProperty("tenant").GetString() == fleet[0]);
        Assert.Equal("Failed", (await _kit.RowAsync(id, fleet[0])).State);
        // A halt stops new work at once; the other canary, already migrating in parallel, finishes on its own.
        var otherCanary = await _kit.RowAsync(id, fleet[1]);
        await Eventually.TrueAsync(async () => (otherCanary = await _kit.RowAsync(id, fleet[1])).State != "Running",
            TimeSpan.FromSeconds(30), "the other canary's migration finished");
        Assert.Equal("Succeeded", otherCanary.State);
        foreach (var slug in fleet.Skip(2)) // the next ring was never started
        {
            Assert.Equal(("Pending", 0), ((await _kit.RowAsync(id, slug)).State, (await _kit.RowAsync(id, slug)).Attempts));
            Assert.Equal(TenantMigrations.Initial, await _kit.Tenants.AppliedMigrationAsync(slug));
        }
        using (var early = await _kit.TransitionAsync(id, "pause"))
        {
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode); // only a running rollout pauses
        }

        await _kit.Tenants.InjectFaultAsync(fleet[0], RolloutTenantMigration.MigrateStep, null);
        using (var resumed = await _kit.TransitionAsync(id, "resume"))
        {
            Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        }
        await _kit.WaitForStateAsync(id, "completed");

        foreach (var slug in fleet)
        {
            await _kit.AssertMigratedWithRowsAsync(slug);
            Assert.Equal(1, await _kit.MigrationsOfAsync(slug)); // nobody migrated twice
        }
        var again = await _kit.RowAsync(id, fleet[1]);
        Assert.Equal((otherCanary.Attempts, otherCanary.CompletedAt), (again.Attempts, again.CompletedAt)); // not re-run
        using var completed = await _kit.TransitionAsync(id, "resume");
        Assert.Equal(HttpStatusCode.Conflict, completed.StatusCode);
    }

    [Fact]
    public async Task A_worker_killed_mid_rollout_is_taken_over_by_the_others_and_no_tenant_is_migrated_twice()
    {
        var fleet = await _kit.FleetAtNAsync("ro-kill", 8);
        foreach (var slug in fleet)
        {
            await _kit.Tenants.InjectFaultAsync(slug, RolloutTenantMigration.MigrateStep, "delay:2500");
        }
        var id = (await _kit.StartAsync(new { rings = AllAtOnce, parallelism = 8 })).GetProperty("id").GetString()!;

        // Claim holders are "{machine}/{pid}/{claim}": SIGKILL the stack's worker process that holds this rollout's first claim.
        string? holder = null;
        await Eventually.TrueAsync(async () => (holder = await _kit.Tenants.CatalogScalarAsync<string>(
            "SELECT leased_by FROM schema_rollout_tenants WHERE rollout_id = $1 AND state = 'Running' AND tenant_slug = ANY($2) LIMIT 1",
            Guid.Parse(id), fleet.ToArray())) is not null, TimeSpan.FromSeconds(30), "a worker claimed a tenant");
        var pid = int.Parse(holder!.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture);
        var prefix = $"{Environment.MachineName}/{pid}/";
        var claimedByVictim = await _kit.Tenants.CatalogScalarAsync<string[]>(
            "SELECT array_agg(tenant_slug) FROM schema_rollout_tenants WHERE rollout_id = $1 AND leased_by LIKE $2", Guid.Parse(id), prefix + "%");
        using (var victim = System.Diagnostics.Process.GetProcessById(pid))
        {
            victim.Kill(entireProcessTree: true); // mid-migration: its transactions roll back, its claims stay until their lease ends
            await victim.WaitForExitAsync();
        }

        var done = await _kit.WaitForStateAsync(id, "completed", TimeSpan.FromSeconds(90));
        output.WriteLine($"killed {pid} holding {string.Join(", ", claimedByVictim!)}; {done}");
        foreach (var slug in fleet)
        {
            await _kit.AssertMigratedWithRowsAsync(slug);
            Assert.Equal(1, await _kit.MigrationsOfAsync(slug)); // two workers, one killed: still once each
            await _kit.Tenants.InjectFaultAsync(slug, RolloutTenantMigration.MigrateStep, null);
        }
        foreach (var slug in claimedByVictim!)
        {
            var row = await _kit.RowAsync(id, slug); // taken over when the dead worker's lease ran out
            Assert.True(row is { State: "Succeeded", Attempts: >= 2 }, $"{slug}: {row}");
        }

        // Bring the killed replica back for the tests that follow (best effort: they work with one worker too).
        foreach (var instance in await fixture.InstancesAsync("provisioning-worker"))
        {
            try
            {
                await fixture.CommandInstanceAsync(instance, "resource-start");
            }
            catch (InvalidOperationException e)
            {
                output.WriteLine(e.Message);
            }
        }
    }

    [Fact]
    public async Task A_hibernated_tenant_is_deferred_and_migrated_when_it_wakes_before_its_first_request_is_served()
    {
        var fleet = await _kit.FleetAtNAsync("ro-sleep", 2);
        using (var admin = fixture.PlatformAdmin())
        using (var hibernate = await admin.PostAsync($"/api/tenants/{fleet[1]}/hibernate", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, hibernate.StatusCode);
        }
        await _kit.Tenants.WaitForStatusAsync(fleet[1], "hibernated");

        var id = (await _kit.StartAsync(new { rings = AllAtOnce })).GetProperty("id").GetString()!;
        await _kit.WaitForStateAsync(id, "completed");
        Assert.Equal("Deferred", (await _kit.RowAsync(id, fleet[1])).State);
        Assert.Equal(TenantMigrations.Initial, await _kit.Tenants.CatalogScalarAsync<string>("SELECT schema_version FROM tenants WHERE slug = $1", fleet[1]));

        // Its first request wakes it; the wake migrates it; the request is served.
        using var api = fixture.ApiAs(fleet[1], TenantClaims.Member);
        using var users = await api.GetAsync($"/api/tenants/{fleet[1]}/users");
        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
        await _kit.AssertMigratedWithRowsAsync(fleet[1]);
        var row = await _kit.RowAsync(id, fleet[1]);
        Assert.Equal(("Succeeded", TenantMigrations.Initial, TenantMigrations.Latest), (row.State, row.From, row.To));
        await _kit.AssertMigratedWithRowsAsync(fleet[0]);
    }

    [Fact]
    public async Task An_endpoint_that_needs_the_newer_schema_holds_the_request_while_its_tenant_is_upgraded()
    {
        var slug = (await _kit.FleetAtNAsync("ro-need", 1))[0];
        using var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        var owner = (await api.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/users")).GetProperty("items")[0].GetProperty("id").GetGuid();
        using var project = await api.PostAsJsonAsync($"/api/tenants/{slug}/projects", new { name = "Old schema", ownerId = owner });
        Assert.Equal(HttpStatusCode.Created, project.StatusCode); // projects existed at N
        var projectId = (await project.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        using var task = await api.PostAsJsonAsync($"/api/tenants/{slug}/projects/{projectId}/tasks", new { title = "Needs N+1" });

        Assert.Equal(HttpStatusCode.Created, task.StatusCode);
        await _kit.AssertMigratedWithRowsAsync(slug);
        Assert.Equal(1, await _kit.MigrationsOfAsync(slug));
    }

    [Fact]
    public async Task Requests_to_tenants_during_a_rollout_never_get_a_500()
    {
        var fleet = await _kit.FleetAtNAsync("ro-load", 4, canaries: 1);
        foreach (var slug in fleet)
        {
            await _kit.Tenants.InjectFaultAsync(slug, RolloutTenantMigration.MigrateStep, "delay:300");
        }
        var next = 0;
        await using var load = new RequestLoad(
            () => fixture.ApiAs(null, TenantClaims.PlatformAdmin),
            () =>
            {
                var slug = fleet[Interlocked.Increment(ref next) % fleet.Count];
                return new HttpRequestMessage(HttpMethod.Get, $"/api/tenants/{slug}/users");
            },
            concurrency: 4, pace: TimeSpan.FromMilliseconds(20));
        var id = (await _kit.StartAsync(new { rings = HalfThenAll, parallelism = 2 })).GetProperty("id").GetString()!;
        await _kit.WaitForStateAsync(id, "completed");
        await Task.Delay(500);
        var answers = await load.StopAsync();

        ReliabilityReport.Row(output, $"| schema rollout of 4 tenants under 4 concurrent readers | {RequestLoad.ByStatus(answers)} | " +
            $"p99 {RequestLoad.Percentile(answers.Select(a => a.Milliseconds), 99):0} ms |");
        InFlightTests.AssertNoServerErrors(answers, HttpStatusCode.OK);
        foreach (var slug in fleet)
        {
            await _kit.AssertMigratedWithRowsAsync(slug);
            await _kit.Tenants.InjectFaultAsync(slug, RolloutTenantMigration.MigrateStep, null);
        }
    }

    [Fact]
    public async Task Bad_rollout_requests_get_problem_details_and_change_nothing()
    {
        using var admin = fixture.PlatformAdmin();
        foreach (var (body, expected) in new (object Body, string Detail)[]
                 {
                     (new { target = "20990101000000_Nope" }, "not a tenant migration"),
                     (new { rings = new[] { 10, 5, 100 } }, "strictly ascending"),
                     (new { rings = new[] { 10, 50 } }, "last ring must be 100"),
                     (new { parallelism = 0 }, "parallelism"),
                     (new { errorBudget = 2.0 }, "errorBudget"),
                 })
        {
            using var response = await admin.PostAsJsonAsync("/api/rollouts", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(expected, problem.GetProperty("detail").GetString());
            Assert.True(problem.TryGetProperty("traceId", out _));
        }
        using (var unknown = await admin.GetAsync($"/api/rollouts/{Guid.NewGuid()}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
        using (var tenantAdmin = fixture.ApiAs("acme", TenantClaims.TenantAdmin))
        using (var refused = await tenantAdmin.PostAsJsonAsync("/api/rollouts", new { }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // One open rollout at a time: a second is a 409 while the first is paused; abort ends it.
        var slug = (await _kit.FleetAtNAsync("ro-one", 1))[0];
        await _kit.Tenants.InjectFaultAsync(slug, RolloutTenantMigration.MigrateStep, "delay:3000");
        var id = (await _kit.StartAsync(new { rings = AllAtOnce })).GetProperty("id").GetString()!;
        using (var paused = await _kit.TransitionAsync(id, "pause"))
        {
            Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        }
        using (var second = await admin.PostAsJsonAsync("/api/rollouts", new { }))
        {
            Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
            Assert.Contains(id, (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }
        using (var aborted = await _kit.TransitionAsync(id, "abort"))
        {
            Assert.Equal(HttpStatusCode.OK, aborted.StatusCode);
            Assert.Equal("aborted", (await aborted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        }
        await _kit.Tenants.InjectFaultAsync(slug, RolloutTenantMigration.MigrateStep, null);
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/rollouts");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), r => r.GetProperty("id").GetString() == id);
    }
}
