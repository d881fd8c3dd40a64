using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using TenantAspire.ProvisioningWorker.Moves;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TenantAspire.Tests.Servers;

[Collection(SettingsStacksCollection.Name)]
public sealed class MoveTests(ServersStackFixture fixture, ITestOutputHelper output) : OnSharedStack(fixture)
{
    private static readonly string[] Landed = ["switched", "completed"];
    private static readonly string[] Replicas = ["tenant-api", AspireAppFixture.SecondApi];
    private readonly ServerTestKit _kit = new(fixture);

    private List<HttpClient> BothApis(string slug) =>
        [fixture.ApiOn("tenant-api", slug, TenantClaims.TenantAdmin), fixture.ApiOn(AspireAppFixture.SecondApi, slug, TenantClaims.TenantAdmin)];

    private async Task<List<string>> EmailsOnAsync(string server, string database)
    {
        await using var connection = await _kit.OpenAsync(server, database);
        await using var command = new NpgsqlCommand("SELECT email FROM users", connection);
        var emails = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            emails.Add(reader.GetString(0));
        }
        return emails;
    }

    [Fact]
    public async Task A_move_under_a_continuous_writer_loses_and_doubles_nothing_and_the_source_is_closed_then_dropped()
    {
        var slug = await _kit.OnStandardServerAsync("mv-live");
        var (row, password) = await _kit.Tenants.CatalogRowAsync(slug);
        var apis = BothApis(slug);
        await using var writer = new ContinuousWriter(slug, apis).Start();
        await Task.Delay(500); // rows written before the copy starts, during it and during the cut-over

        var move = (await _kit.ChangeTierAsync(slug, "premium"))!.Value;
        Assert.Equal("replication", move.GetProperty("method").GetString());
        var switched = await _kit.WaitForMoveAsync(slug, move.GetProperty("id").GetString()!, "Switched", "Completed", "Aborted", "Failed");
        await Task.Delay(500); // and after it, on the target
        await writer.StopAsync();
        output.WriteLine($"{switched}; acknowledged {writer.Acknowledged.Count}, failed {writer.Failed.Count}, longest write {writer.LongestWrite.TotalMilliseconds:0} ms");
        foreach (var failed in writer.Failed)
        {
            output.WriteLine("failed write: " + failed); // whole, with its problem details (the assertion's message cuts it short)
        }
        Assert.Contains(switched.GetProperty("phase").GetString(), Landed);
        Assert.Empty(writer.Failed);
        Assert.InRange(switched.GetProperty("pauseMs").GetInt32(), 0, 2000);

        var tenant = await _kit.TenantAsync(slug);
        Assert.Equal(ServersStackFixture.Premium, tenant.GetProperty("server").GetString());
        Assert.Equal("premium", tenant.GetProperty("tier").GetString());
        var onTarget = await EmailsOnAsync(ServersStackFixture.Premium, row.DatabaseName);
        Assert.Equal(onTarget.Count, onTarget.Distinct().Count()); // none doubled
        Assert.Equal(writer.Acknowledged.Order(StringComparer.Ordinal), onTarget.Order(StringComparer.Ordinal)); // none lost, none extra
        Assert.Equal("tenant_premium", await _kit.TablespaceOfAsync(ServersStackFixture.Premium, row.DatabaseName));

        // The tenant's role on the target reaches its own database only.
        var builder = new NpgsqlConnectionStringBuilder(await fixture.ConnectionStringAsync(ServersStackFixture.Premium))
        {
            Username = row.RoleName, Password = password, Pooling = false,
        };
        foreach (var other in new[] { "postgres", "template1", fixture.CatalogNames.TemplateDatabase })
        {
            builder.Database = other;
            await using var foreign = new NpgsqlConnection(builder.ConnectionString);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => foreign.OpenAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }

        // The source: closed for the grace, then dropped with its role.
        await Eventually.TrueAsync(async () => await _kit.DatabaseStateAsync(ServersStackFixture.Standard, row.DatabaseName) is null or "closed",
            TimeSpan.FromSeconds(10), "the source is closed");
        await _kit.WaitForMoveAsync(slug, move.GetProperty("id").GetString()!, "Completed");
        // The switch is recorded before the tidy-up drops the mover's marker from the target (and the source's drop after the
        // grace drops it again if that tidy-up failed): once the move is complete the marker is gone from the tenant's database.
        Assert.Null(await _kit.ScalarOnAsync<string>(ServersStackFixture.Premium, row.DatabaseName,
            "SELECT to_regclass('public." + MoveNames.MarkerTable + "')::text"));
        Assert.Null(await _kit.DatabaseStateAsync(ServersStackFixture.Standard, row.DatabaseName));
        Assert.Null(await _kit.ScalarOnAsync<int?>(ServersStackFixture.Standard, "postgres", "SELECT 1 FROM pg_roles WHERE rolname = $1", row.RoleName));
        Assert.Null(await _kit.ScalarOnAsync<int?>(ServersStackFixture.Standard, "postgres",
            "SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE 'move\\_%'"));
        foreach (var api in apis)
        {
            api.Dispose();
        }
    }

    [Fact]
    public async Task A_replica_that_never_hears_of_the_cut_over_has_its_writes_held_and_served_on_the_target()
    {
        // Its writes reach the source until the move locks the tenant's role out; each one after that fails there before it
        // changes anything, reads the catalog's route and is held like any other until the switch.
        var slug = await _kit.OnStandardServerAsync("mv-deaf");
        var (row, _) = await _kit.Tenants.CatalogRowAsync(slug);
        await using var replica = await DeafReplica.StartAsync(fixture);
        using var deaf = replica.TenantAdmin(slug);
        await using var writer = new ContinuousWriter(slug, [deaf]).Start();
        await Task.Delay(500);

        var move = (await _kit.ChangeTierAsync(slug, "premium"))!.Value;
        var switched = await _kit.WaitForMoveAsync(slug, move.GetProperty("id").GetString()!, "Switched", "Completed", "Aborted", "Failed");
        await Task.Delay(500);
        await writer.StopAsync();
        output.WriteLine($"{switched}; acknowledged {writer.Acknowledged.Count}, longest write {writer.LongestWrite.TotalMilliseconds:0} ms");
        Assert.Contains(switched.GetProperty("phase").GetString(), Landed);
        Assert.Empty(writer.Failed);
        var onTarget = await EmailsOnAsync(ServersStackFixture.Premium, row.DatabaseName);
        Assert.Equal(writer.Acknowledged.Order(StringComparer.Ordinal), onTarget.Order(StringComparer.Ordinal)); // none lost, none doubled
    }

    [Fact]
    public async Task A_cut_over_longer_than_the_max_pause_aborts_and_the_source_serves_on()
    {
        var slug = await _kit.OnStandardServerAsync("mv-abort");
        var (row, _) = await _kit.Tenants.CatalogRowAsync(slug);
        await _kit.Tenants.InjectFaultAsync(slug, MoveSteps.Cutover, "delay:2500");
        var move = (await _kit.ChangeTierAsync(slug, "premium"))!.Value;
        var ended = await _kit.WaitForMoveAsync(slug, move.GetProperty("id").GetString()!, "Aborted", "Switched", "Failed");
        await _kit.Tenants.InjectFaultAsync(slug, MoveSteps.Cutover, null);
        Assert.Equal("aborted", ended.GetProperty("phase").GetString());
        Assert.Contains("MaxPause", ended.GetProperty("error").GetString());

        var tenant = await _kit.TenantAsync(slug);
        Assert.Equal(ServersStackFixture.Standard, tenant.GetProperty("server").GetString());
        Assert.Equal("active", tenant.GetProperty("status").GetString());
        Assert.Equal("standard", tenant.GetProperty("tier").GetString());
        using var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        using var user = await api.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = $"after@{slug}.example", name = "After" });
        Assert.Equal(HttpStatusCode.Created, user.StatusCode); // the source lets the tenant in again
        await Eventually.TrueAsync(async () => await _kit.DatabaseStateAsync(ServersStackFixture.Premium, row.DatabaseName) is null,
            TimeSpan.FromSeconds(15), "the target copy is removed");
    }

    [Theory]
    [InlineData(MoveSteps.Copy)]
    [InlineData(MoveSteps.CatchUp)]
    [InlineData(MoveSteps.Cutover)]
    public async Task A_worker_killed_in_a_phase_leaves_the_tenant_served_and_a_retry_converges(string step)
    {
        var slug = await _kit.OnStandardServerAsync("mv-kill");
        using (var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin))
        using (var user = await api.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = $"before@{slug}.example", name = "Before" }))
        {
            Assert.Equal(HttpStatusCode.Created, user.StatusCode);
        }
        await _kit.Tenants.InjectFaultAsync(slug, step, "delay:60000"); // parks the first attempt in that phase
        var move = (await _kit.ChangeTierAsync(slug, "premium"))!.Value;
        var id = move.GetProperty("id").GetString()!;

        // The holder of the move operation is "{machine}/{pid}": SIGKILL that worker process while it waits in the phase.
        string? holder = null;
        await Eventually.TrueAsync(async () => (holder = await _kit.Tenants.CatalogScalarAsync<string>(
            "SELECT leased_by FROM tenant_operations WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1) AND kind = 'Move' AND state = 'Running'",
            slug)) is not null, TimeSpan.FromSeconds(30), "a worker runs the move");
        var expectedPhase = step == MoveSteps.Cutover ? "CuttingOver" : "Copying";
        await _kit.WaitForMoveAsync(slug, id, expectedPhase);
        await Task.Delay(300); // inside the delayed step
        await _kit.Tenants.InjectFaultAsync(slug, step, null);
        var pid = int.Parse(holder!.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture);
        using (var victim = Process.GetProcessById(pid))
        {
            victim.Kill(entireProcessTree: true);
            await victim.WaitForExitAsync();
        }
        output.WriteLine($"killed worker {pid} in {step}");
        if (step != MoveSteps.Cutover)
        {
            // Still copying: the source serves the tenant all along.
            using var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
            using var read = await api.GetAsync($"/api/tenants/{slug}/users");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        // The other worker replica takes the operation after its lease and finishes the move from the start of its copy.
        JsonElement done;
        try
        {
            done = await _kit.WaitForMoveAsync(slug, id, "Switched", "Completed", "Aborted", "Failed");
        }
        finally
        {
            await fixture.RestartKilledAsync("provisioning-worker"); // the stack's next tests want both worker replicas
        }
        Assert.Contains(done.GetProperty("phase").GetString(), Landed);
        Assert.Equal(ServersStackFixture.Premium, (await _kit.TenantAsync(slug)).GetProperty("server").GetString());
        using (var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin))
        {
            var users = await api.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/users");
            Assert.Contains(users.GetProperty("items").EnumerateArray(), u => u.GetProperty("email").GetString() == $"before@{slug}.example");
        }
    }

    [Fact]
    public async Task Both_api_replicas_route_to_the_target_within_a_second_of_the_switch()
    {
        // Each replica has served a tenant on the target server before: a process's first connection to a server is not routing.
        var (neighbour, _) = await _kit.ActiveAsync("mv-nbr", "premium");
        foreach (var (api, i) in BothApis(neighbour).Select((a, i) => (a, i)))
        {
            using (api)
            using (var warm = await api.PostAsJsonAsync($"/api/tenants/{neighbour}/users", new { email = $"n{i}@{neighbour}.example", name = "N" }))
            {
                Assert.Equal(HttpStatusCode.Created, warm.StatusCode);
            }
        }
        var slug = await _kit.OnStandardServerAsync("mv-routes");
        var (row, _) = await _kit.Tenants.CatalogRowAsync(slug);
        var apis = BothApis(slug);
        foreach (var (api, i) in apis.Select((a, i) => (a, i)))
        {
            // Both replicas cache the route on the source and have written before (the first write's one-time costs are not routing).
            using var warm = await api.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = $"warm{i}@{slug}.example", name = "Warm" });
            Assert.Equal(HttpStatusCode.Created, warm.StatusCode);
        }
        var move = (await _kit.ChangeTierAsync(slug, "premium"))!.Value;
        await _kit.WaitForMoveAsync(slug, move.GetProperty("id").GetString()!, "Switched", "Completed");
        var switchedAt = Stopwatch.StartNew();
        foreach (var (api, name) in apis.Zip(Replicas))
        {
            // A write through each replica lands in the target's database (the source no longer lets the tenant's role in).
            var email = $"{name}@{slug}.example";
            using var write = await api.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email, name });
            output.WriteLine($"{name}: {(int)write.StatusCode} after {switchedAt.Elapsed.TotalMilliseconds:0} ms");
            Assert.Equal(HttpStatusCode.Created, write.StatusCode);
            Assert.NotNull(await _kit.ScalarOnAsync<int?>(ServersStackFixture.Premium, row.DatabaseName,
                "SELECT 1 FROM users WHERE email = $1", email));
        }
        Assert.True(switchedAt.Elapsed < TimeSpan.FromSeconds(1), $"both replicas served from the target after {switchedAt.Elapsed.TotalMilliseconds:0} ms");
        foreach (var api in apis)
        {
            api.Dispose();
        }
    }
}
