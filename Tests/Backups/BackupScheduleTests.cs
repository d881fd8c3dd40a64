using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.ProvisioningWorker.Backups;
using TenantAspire.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TenantAspire.Tests.Backups;

/// <summary>The scheduler on a one-second interval: changed-only, retention, drills, the deleted tenant's grace, a store outage, a crash.</summary>
[Collection(BackupStackCollection.Name)]
public sealed class BackupScheduleTests(BackupStackFixture fixture, ITestOutputHelper output)
{
    private readonly BackupTestKit _kit = new(fixture);

    [Fact]
    public async Task An_unchanged_tenant_is_not_dumped_again_and_a_write_brings_a_new_backup()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("bk-changed");
        await _kit.WaitForBackupAsync(slug, _ => true, what: "the first scheduled backup");
        // Statistics reach pg_stat_database some seconds late: provisioning's own writes may bring one more backup. Then it settles.
        var settled = await _kit.SettledCountAsync(slug);

        // Two whole passes (every second here, but slower when other operations load the server): neither dumps it again.
        // Finished passes only: one still running has counted nothing yet.
        var since = DateTimeOffset.UtcNow;
        List<System.Text.Json.JsonElement> meanwhile = [];
        await Eventually.TrueAsync(async () =>
        {
            meanwhile = (await _kit.PassesAsync()).Where(p => p.GetProperty("startedAt").GetDateTimeOffset() > since
                                                             && p.GetProperty("finishedAt").ValueKind != System.Text.Json.JsonValueKind.Null).ToList();
            return meanwhile.Count >= 2;
        }, TimeSpan.FromSeconds(30), "two backup passes finished");
        Assert.Equal(settled, (await _kit.BackupsAsync(slug)).Count); // no write, no dump
        Assert.All(meanwhile, p => Assert.True(p.GetProperty("unchanged").GetInt32() > 0, p.ToString()));

        await _kit.AddUserAsync(slug, $"new@{slug}.example");
        var fresh = await _kit.WaitForBackupAsync(slug, b => b.GetProperty("rowCounts").GetProperty("users").GetInt64() == 1,
            TimeSpan.FromSeconds(40), "a backup holding the new user");
        Assert.Equal("schedule", fresh.GetProperty("trigger").GetString());
    }

    [Fact]
    public async Task Retention_keeps_the_newest_backups_per_tenant()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("bk-keep");
        for (var i = 1; i <= BackupStackFixture.Keep + 2; i++)
        {
            await _kit.AddUserAsync(slug, $"u{i}@{slug}.example");
            var n = i;
            await _kit.WaitForBackupAsync(slug, b => b.GetProperty("rowCounts").GetProperty("users").GetInt64() == n, TimeSpan.FromSeconds(40));
        }
        await Eventually.TrueAsync(async () => (await _kit.BackupsAsync(slug)).Count <= BackupStackFixture.Keep, TimeSpan.FromSeconds(20),
            $"at most {BackupStackFixture.Keep} backups kept");
        var kept = await _kit.BackupsAsync(slug);
        Assert.Equal(BackupStackFixture.Keep + 2, kept[0].GetProperty("rowCounts").GetProperty("users").GetInt64()); // the newest stays
        // The deleted ones' blobs are gone from the store too.
        var tenantId = (await _kit.Tenants.CatalogRowAsync(slug)).Tenant.Id;
        var container = await _kit.BackupContainerAsync();
        var blobs = new List<string>();
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"tenants/{tenantId:N}/", CancellationToken.None))
        {
            blobs.Add(blob.Name);
        }
        var rows = await _kit.Tenants.CatalogScalarAsync<long>("SELECT count(*) FROM tenant_backups WHERE tenant_id = $1", tenantId);
        Assert.True(blobs.Count <= rows + 1, $"{blobs.Count} blobs for {rows} rows"); // +1: a pass may be writing the next one
    }

    [Fact]
    public async Task Drills_restore_backups_and_report_the_outcome()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("bk-drill");
        await _kit.AddUserAsync(slug, $"d@{slug}.example");
        var drilled = await _kit.WaitForBackupAsync(slug, b => b.TryGetProperty("drill", out var d) && d.ValueKind == JsonValueKind.Object,
            TimeSpan.FromSeconds(90), "a drilled backup");
        Assert.True(drilled.GetProperty("drill").GetProperty("outcome").GetString() == "passed", drilled.ToString());
        // The scratch database is gone again.
        Assert.Equal(0L, await _kit.Tenants.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname = $1",
            fixture.CatalogNames.DrillDatabaseName(Guid.Parse(drilled.GetProperty("id").GetString()!))));
    }

    [Fact]
    public async Task A_deleted_tenants_backups_are_purged_after_the_grace_and_the_erasure_is_audited()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("bk-gdpr");
        await _kit.WaitForBackupAsync(slug, _ => true);
        var tenantId = (await _kit.Tenants.CatalogRowAsync(slug)).Tenant.Id;
        using var admin = fixture.PlatformAdmin();
        (await admin.DeleteAsync($"/api/tenants/{slug}")).Dispose();
        await _kit.Tenants.WaitUntilGoneAsync(slug);
        Assert.True(await _kit.Tenants.CatalogScalarAsync<long>("SELECT count(*) FROM tenant_backups WHERE tenant_id = $1", tenantId) > 0,
            "kept for the grace");

        await Eventually.TrueAsync(async () =>
                await _kit.Tenants.CatalogScalarAsync<long>("SELECT count(*) FROM tenant_backups WHERE tenant_id = $1", tenantId) == 0,
            BackupStackFixture.DeletedTenantGrace + TimeSpan.FromSeconds(30), "the backups purged");
        var container = await _kit.BackupContainerAsync();
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"tenants/{tenantId:N}/", CancellationToken.None))
        {
            Assert.Fail($"blob {blob.Name} outlived the purge");
        }
        Assert.Contains(await _kit.Tenants.AuditAsync(slug), a => a.Action == "backups-purged" && a.TenantId == tenantId);
    }

    [Fact]
    public async Task With_the_store_down_backups_fail_and_are_reported_the_API_serves_on_and_they_resume()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("bk-down");
        await _kit.WaitForBackupAsync(slug, _ => true);
        var blobs = Assert.Single(await fixture.InstancesAsync("blobs"));
        await fixture.CommandInstanceAsync(blobs, "resource-stop");
        try
        {
            await _kit.AddUserAsync(slug, $"while-down@{slug}.example"); // the API does not need the store to serve the tenant
            try
            {
                await Eventually.TrueAsync(async () => (await _kit.PassesAsync()).Take(3).Any(p => p.GetProperty("failed").GetInt32() > 0),
                    TimeSpan.FromSeconds(60), "a pass reports failed backups");
            }
            catch (TimeoutException e)
            {
                var states = string.Join(", ", (await fixture.CurrentStatesAsync()).Select(i => $"{i.Id}={i.State}"));
                var status = await _kit.Tenants.CatalogScalarAsync<string>("SELECT status FROM tenants WHERE slug = $1", slug);
                throw new TimeoutException(e.Message + $" states: {states}; tenant {status}; backups: " + string.Join(" | ", await _kit.BackupsAsync(slug)) + " passes: " + string.Join(" | ", (await _kit.PassesAsync()).Take(8).Select(p => p.GetProperty("startedAt") + " " + p.GetProperty("backedUp") + "/" + p.GetProperty("failed") + "/" + p.GetProperty("unchanged"))) + await _kit.WorkerStoryAsync(slug), e);
            }
            using var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
            using var read = await api.GetAsync($"/api/tenants/{slug}/users");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        finally
        {
            await fixture.RestartExitedAsync("blobs");
        }
        await _kit.WaitForBackupAsync(slug, b => b.GetProperty("rowCounts").GetProperty("users").GetInt64() == 1,
            TimeSpan.FromSeconds(60), "the backup once the store is back");
    }

    [Fact]
    public async Task A_worker_killed_mid_backup_leaves_no_partial_backup()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("bk-kill");
        await _kit.AddUserAsync(slug, $"k@{slug}.example");
        await _kit.Tenants.InjectFaultAsync(slug, BackupSteps.Commit, "delay:60000"); // dumped and staged, not committed
        using (var admin = fixture.PlatformAdmin())
        {
            using var asked = await admin.PostAsync($"/api/tenants/{slug}/backups", null);
            Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
        }
        string? holder = null;
        await Eventually.TrueAsync(async () => (holder = await _kit.Tenants.CatalogScalarAsync<string>(
            "SELECT leased_by FROM tenant_operations WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1) AND kind = 'Backup' AND state = 'Running'",
            slug)) is not null, TimeSpan.FromSeconds(30), "a worker runs the backup");
        await Task.Delay(1500); // inside the delayed step: the dump is staged in the store
        await _kit.Tenants.InjectFaultAsync(slug, BackupSteps.Commit, null);
        var pid = int.Parse(holder!.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture);
        var tenantId = (await _kit.Tenants.CatalogRowAsync(slug)).Tenant.Id;
        var manualBefore = await _kit.Tenants.CatalogScalarAsync<long>(
            "SELECT count(*) FROM tenant_backups WHERE tenant_id = $1 AND trigger = 'manual'", tenantId);
        using (var victim = Process.GetProcessById(pid))
        {
            victim.Kill(entireProcessTree: true);
            await victim.WaitForExitAsync();
        }
        output.WriteLine($"killed worker {pid} mid-backup");
        Assert.Equal(0, manualBefore);
        try
        {
            // The other worker takes the operation once the lease ends and backs the tenant up whole.
            var manual = await _kit.WaitForBackupAsync(slug, b => b.GetProperty("trigger").GetString() == "manual", TimeSpan.FromSeconds(60));
            Assert.Equal(1, manual.GetProperty("rowCounts").GetProperty("users").GetInt64());
        }
        finally
        {
            await fixture.RestartKilledAsync("provisioning-worker");
        }
        // Every committed blob of the tenant is a recorded backup, whole: its bytes hash to what its row says.
        var container = await _kit.BackupContainerAsync();
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"tenants/{tenantId:N}/", CancellationToken.None))
        {
            var sha = await _kit.Tenants.CatalogScalarAsync<string>("SELECT sha256 FROM tenant_backups WHERE blob_name = $1", blob.Name);
            if (sha is null)
            {
                continue; // deleted by retention between the listing and this read
            }
            var content = (await container.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray();
            Assert.Equal(sha, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)));
        }
    }
}
