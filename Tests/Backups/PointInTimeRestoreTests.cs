using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Backups;

/// <summary>
/// Point-in-time restore from the servers' WAL archives (pgBackRest): a moment between two writes brings back exactly the rows
/// written before it, in place (with undo) or as a sibling; a hibernated tenant's last writes are recoverable; a moment outside the
/// window is a 400 that changes nothing.
/// </summary>
[Collection(BackupStackCollection.Name)]
public sealed class PointInTimeRestoreTests(BackupStackFixture fixture)
{
    private static readonly string[] Steps = ["archive", "files", "replay", "copy", "verify"];
    private readonly BackupTestKit _kit = new(fixture);

    [Fact]
    public async Task A_moment_between_two_writes_brings_back_exactly_the_rows_before_it_in_place_with_undo_and_as_a_sibling()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("pitr");
        await WriteAfterWindowStartsAsync(slug, "t1");
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        await _kit.AddUserAsync(slug, $"t2@{slug}.example");
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        var moment = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        await _kit.AddUserAsync(slug, $"t3@{slug}.example");
        string[] before = [$"t1@{slug}.example", $"t2@{slug}.example"];
        var all = await _kit.EmailsAsync(slug);
        Assert.Equal(3, all.Count);

        using var asked = await _kit.RestoreToAsync(slug, moment);
        Assert.True(asked.StatusCode == HttpStatusCode.Accepted, await asked.Content.ReadAsStringAsync());
        var id = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var restore = await _kit.WaitForRestoreAsync(slug, id, "Swapped", "Failed");
        Assert.True(restore.GetProperty("phase").GetString() == "swapped", restore.ToString());
        Assert.Equal(before, await _kit.EmailsAsync(slug));
        Assert.Equal(moment, restore.GetProperty("pointInTime").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));
        Assert.True(restore.GetProperty("reachedAt").GetDateTimeOffset() <= moment, restore.ToString());
        Assert.Matches("^[0-9A-F]+/[0-9A-F]+$", restore.GetProperty("walPosition").GetString());
        Assert.Equal(JsonValueKind.Null, restore.GetProperty("backupId").ValueKind);
        var steps = restore.GetProperty("stepsMs");
        Assert.All(Steps, step => Assert.True(steps.GetProperty(step).GetInt64() >= 0, steps.ToString()));

        // Undo: the database the restore replaced comes back, the write after the moment with it.
        using (var admin = fixture.PlatformAdmin())
        using (var undo = await admin.PostAsync($"/api/tenants/{slug}/restore/undo", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, undo.StatusCode);
        }
        await _kit.WaitForRestoreAsync(slug, id, "Undone");
        Assert.Equal(all, await _kit.EmailsAsync(slug));

        // As a sibling: a new tenant with the rows before the moment; the source keeps all three.
        var sibling = TenantTestKit.NewSlug("pitr-sib");
        using var siblingAsked = await _kit.RestoreToAsync(slug, moment, sibling);
        Assert.True(siblingAsked.StatusCode == HttpStatusCode.Accepted, await siblingAsked.Content.ReadAsStringAsync());
        var siblingId = (await siblingAsked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var siblingRestore = await _kit.WaitForRestoreAsync(sibling, siblingId, "Completed", "Failed");
        Assert.True(siblingRestore.GetProperty("phase").GetString() == "completed", siblingRestore.ToString());
        Assert.Equal(before, await _kit.EmailsAsync(sibling));
        Assert.Equal(all, await _kit.EmailsAsync(slug));
    }

    [Fact]
    public async Task A_hibernated_tenants_last_writes_are_recoverable()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("pitr-sleep");
        await WriteAfterWindowStartsAsync(slug, "last");
        using (var admin = fixture.PlatformAdmin())
        using (var hibernate = await admin.PostAsync($"/api/tenants/{slug}/hibernate", null))
        {
            Assert.True(hibernate.IsSuccessStatusCode, await hibernate.Content.ReadAsStringAsync());
        }
        await _kit.Tenants.WaitForStatusAsync(slug, "hibernated");
        await Task.Delay(TimeSpan.FromMilliseconds(1100));

        // The moment after it fell asleep: its database is closed there, and still restored (as a sibling).
        var sibling = TenantTestKit.NewSlug("pitr-woke");
        using var asked = await _kit.RestoreToAsync(slug, DateTimeOffset.UtcNow, sibling);
        Assert.True(asked.StatusCode == HttpStatusCode.Accepted, await asked.Content.ReadAsStringAsync());
        var id = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var restore = await _kit.WaitForRestoreAsync(sibling, id, "Completed", "Failed");
        Assert.True(restore.GetProperty("phase").GetString() == "completed", restore.ToString());
        Assert.Equal([$"last@{slug}.example"], await _kit.EmailsAsync(sibling));
    }

    [Fact]
    public async Task A_moment_outside_the_window_or_a_bad_request_is_a_problem_and_changes_nothing()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("pitr-bad");
        var window = await _kit.RecoveryWindowAsync(slug);
        var earliest = window.GetProperty("earliest").GetDateTimeOffset();
        Assert.True(earliest >= window.GetProperty("latest").GetDateTimeOffset().AddHours(-1), window.ToString()); // from its creation on
        Assert.Equal(JsonValueKind.Number, window.GetProperty("archiveLagSeconds").ValueKind);

        using (var future = await _kit.RestoreToAsync(slug, DateTimeOffset.UtcNow.AddMinutes(5)))
        {
            var problem = await Admin.TenantLifecycleTests.AssertProblemAsync(future, HttpStatusCode.BadRequest);
            Assert.Contains("future", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using (var tooOld = await _kit.RestoreToAsync(slug, earliest.AddMinutes(-10)))
        {
            var problem = await Admin.TenantLifecycleTests.AssertProblemAsync(tooOld, HttpStatusCode.BadRequest);
            Assert.Contains("earliest", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using var admin = fixture.PlatformAdmin();
        using (var both = await admin.PostAsJsonAsync($"/api/tenants/{slug}/restore",
                   new { backupId = Guid.NewGuid(), pointInTime = DateTimeOffset.UtcNow }))
        {
            await Admin.TenantLifecycleTests.AssertProblemAsync(both, HttpStatusCode.BadRequest);
        }
        using (var notATime = await admin.PostAsJsonAsync($"/api/tenants/{slug}/restore", new { pointInTime = "yesterday" }))
        {
            await Admin.TenantLifecycleTests.AssertProblemAsync(notATime, HttpStatusCode.BadRequest);
        }
        using (var tenantAdmin = fixture.ApiAs(slug, TenantClaims.TenantAdmin))
        using (var forbidden = await tenantAdmin.GetAsync($"/api/tenants/{slug}/recovery"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }
        Assert.Equal(0, await _kit.Tenants.CatalogScalarAsync<long>(
            "SELECT count(*) FROM tenant_restores WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1)", slug));
    }

    [Fact]
    public async Task A_worker_killed_during_a_point_in_time_restore_leaves_no_scratch_instance_and_the_tenant_served_throughout()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("pitr-kill");
        await WriteAfterWindowStartsAsync(slug, "t1");
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        var moment = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        await _kit.AddUserAsync(slug, $"t2@{slug}.example");
        await _kit.Tenants.InjectFaultAsync(slug, ProvisioningWorker.Backups.BackupSteps.Scratch, "delay:60000"); // parks the first attempt
        using var asked = await _kit.RestoreToAsync(slug, moment);
        Assert.True(asked.StatusCode == HttpStatusCode.Accepted, await asked.Content.ReadAsStringAsync());
        var id = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        // The scratch instance is up (its postmaster.pid) and the worker holding the restore waits in the parked step: SIGKILL that
        // worker alone, as a crash would — its scratch Postgres, a child it can no longer stop, runs on orphaned.
        var pidFile = Path.Combine(fixture.DataRoot, "postgres-archive", "scratch", "data", "postmaster.pid");
        string? holder = null;
        await Eventually.TrueAsync(async () => File.Exists(pidFile) && (holder = await _kit.Tenants.CatalogScalarAsync<string>(
            "SELECT leased_by FROM tenant_operations WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1) AND kind = 'Restore' AND state = 'Running'",
            slug)) is not null, TimeSpan.FromSeconds(120), "the scratch instance running for a worker");
        await Task.Delay(TimeSpan.FromSeconds(1)); // inside the parked step
        var scratchPid = int.Parse(File.ReadLines(pidFile).First(), System.Globalization.CultureInfo.InvariantCulture);
        await _kit.Tenants.InjectFaultAsync(slug, ProvisioningWorker.Backups.BackupSteps.Scratch, null);
        var workerPid = int.Parse(holder!.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            using (var victim = System.Diagnostics.Process.GetProcessById(workerPid))
            {
                victim.Kill(entireProcessTree: false);
                await victim.WaitForExitAsync();
            }
            Assert.True(IsRunning(scratchPid), "the orphaned scratch Postgres outlives its worker");
            Assert.Equal(2, (await _kit.EmailsAsync(slug)).Count); // served from its own database meanwhile

            // The other worker takes the operation when the lease ends; under the server's scratch lock it stops the orphan,
            // deletes its folder, recovers a new one and finishes; the new one is removed in turn.
            var restore = await _kit.WaitForRestoreAsync(slug, id, "Swapped", "Failed");
            Assert.True(restore.GetProperty("phase").GetString() == "swapped", restore.ToString());
            Assert.Equal([$"t1@{slug}.example"], await _kit.EmailsAsync(slug));
            Assert.False(IsRunning(scratchPid), "the orphaned scratch Postgres was stopped");
            await Eventually.TrueAsync(() => Task.FromResult(!Directory.Exists(Path.GetDirectoryName(Path.GetDirectoryName(pidFile)))),
                TimeSpan.FromSeconds(30), "the scratch folder removed");
        }
        finally
        {
            await fixture.RestartKilledAsync("provisioning-worker"); // the stack's next tests want both worker replicas
        }
    }

    [Fact]
    public async Task The_point_in_time_drill_restores_a_tenant_of_each_server_to_a_random_moment_and_records_a_pass()
    {
        // Something to drill on the first server (the stack drills each server once, as soon as one of its tenants has a window).
        var slug = await _kit.Tenants.CreateActiveAsync("pitr-drill");
        await WriteAfterWindowStartsAsync(slug, "drilled");
        JsonElement server = default;
        using var admin = fixture.PlatformAdmin();
        await Eventually.TrueAsync(async () =>
        {
            var servers = await admin.GetFromJsonAsync<JsonElement>("/api/servers");
            server = servers.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "postgres");
            return server.GetProperty("pitrDrill") is { ValueKind: JsonValueKind.Object } drill
                   && drill.GetProperty("outcome").ValueKind == JsonValueKind.String;
        }, TimeSpan.FromSeconds(180), "a point-in-time drill of server postgres recorded");
        var recorded = server.GetProperty("pitrDrill");
        Assert.True(recorded.GetProperty("outcome").GetString() == "passed", recorded.ToString());
        Assert.Contains("from server 'postgres'", recorded.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // The drill's scratch database is gone (a drill of the other server may still hold one for a moment).
        await Eventually.TrueAsync(async () => await _kit.Tenants.ScalarAsync<long>(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'tdb\\_pitdrill\\_%'") == 0, TimeSpan.FromSeconds(120), "no drill database left");
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited && process.ProcessName == "postgres";
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Writes a user once the tenant's window has begun (its server's base backup ended before the write).</summary>
    private async Task WriteAfterWindowStartsAsync(string slug, string user)
    {
        await _kit.WaitForWindowAsync(slug);
        await _kit.AddUserAsync(slug, $"{user}@{slug}.example");
    }
}
