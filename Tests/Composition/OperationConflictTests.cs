using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.ProvisioningWorker.Backups;
using TenantAspire.Tests.Backups;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Composition;

/// <summary>
/// Day-2 operations on one tenant, composed (issue 21): each test is a finding of the review, and failed on the code before the
/// per-tenant rule. The main stack (no scheduled backups), so every backup here is one a test asked for.
/// </summary>
[Collection(AspireAppCollection.Name)]
public sealed class OperationConflictTests(AspireAppFixture fixture)
{
    private readonly BackupTestKit _kit = new(fixture);

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        return problem;
    }

    private static async Task<JsonElement> ExportAsync(HttpClient admin, string slug)
    {
        using var asked = await admin.PostAsync($"/api/tenants/{slug}/exports", null);
        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
        return await asked.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<JsonElement> WaitForExportAsync(HttpClient admin, string slug, string id)
    {
        JsonElement export = default;
        await Eventually.TrueAsync(async () =>
        {
            export = await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/exports/{id}");
            return export.GetProperty("state").GetString() is "succeeded" or "failed" or "expired";
        }, TimeSpan.FromSeconds(60), $"export {id} is made");
        return export;
    }

    private Task WaitForRunningAsync(string slug, string kind) => Eventually.TrueAsync(async () =>
        await _kit.Tenants.CatalogScalarAsync<long>(
            "SELECT count(*) FROM tenant_operations WHERE state = 'Running' AND kind = $2 AND tenant_id = (SELECT id FROM tenants WHERE slug = $1)",
            slug, kind) == 1, TimeSpan.FromSeconds(30), $"a running {kind} of {slug}");

    [Fact]
    public async Task Writes_before_hibernation_are_backed_up_as_the_tenant_goes_to_sleep()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("cmp-sleep");
        await _kit.AddUserAsync(slug, $"before-sleep@{slug}.example");
        using var admin = fixture.PlatformAdmin();

        (await admin.PostAsync($"/api/tenants/{slug}/hibernate", null)).Dispose();

        var backup = await _kit.WaitForBackupAsync(slug, b => b.GetProperty("trigger").GetString() == TenantAspire.ProvisioningWorker.Hibernation.HibernationHandler.HibernateTrigger,
            what: "the final backup taken at hibernation");
        Assert.Equal(1, backup.GetProperty("rowCounts").GetProperty("users").GetInt64());
        await _kit.Tenants.WaitForStatusAsync(slug, "hibernated");

        // Asleep and unchanged: a second hibernation scan has nothing more to save, and a manual backup of a hibernated tenant is made.
        using var manual = await admin.PostAsync($"/api/tenants/{slug}/backups", null);
        Assert.Equal(HttpStatusCode.Accepted, manual.StatusCode);
        await _kit.WaitForBackupAsync(slug, b => b.GetProperty("trigger").GetString() == BackupHandler.ManualTrigger, what: "a manual backup while asleep");
        Assert.Equal("hibernated", (await _kit.Tenants.WaitForStatusAsync(slug, "hibernated")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_second_export_asked_for_while_one_runs_is_made_too()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("cmp-export");
        using var admin = fixture.PlatformAdmin();
        await _kit.Tenants.InjectFaultAsync(slug, BackupSteps.Export, "delay:2500");
        var first = await ExportAsync(admin, slug);
        await WaitForRunningAsync(slug, "Export");

        var second = await ExportAsync(admin, slug); // the running operation has already read its list
        await _kit.Tenants.InjectFaultAsync(slug, BackupSteps.Export, null);

        Assert.Equal("succeeded", (await WaitForExportAsync(admin, slug, first.GetProperty("id").GetString()!)).GetProperty("state").GetString());
        Assert.Equal("succeeded", (await WaitForExportAsync(admin, slug, second.GetProperty("id").GetString()!)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Suspend_while_a_restore_runs_is_a_409_naming_it_and_changes_nothing()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("cmp-busy");
        var backup = (await _kit.BackUpNowAsync(slug)).GetProperty("id").GetString()!;
        using var admin = fixture.PlatformAdmin();
        await _kit.Tenants.InjectFaultAsync(slug, BackupSteps.Swap, "delay:3000");
        using (var restore = await _kit.RestoreAsync(slug, backup))
        {
            Assert.Equal(HttpStatusCode.Accepted, restore.StatusCode);
        }
        await WaitForRunningAsync(slug, "Restore");

        using var suspend = await admin.PostAsync($"/api/tenants/{slug}/suspend", null);

        var problem = await AssertProblemAsync(suspend, HttpStatusCode.Conflict);
        Assert.Contains("restore", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.NotNull(suspend.Headers.RetryAfter);
        await _kit.Tenants.InjectFaultAsync(slug, BackupSteps.Swap, null);
        Assert.Equal("active", (await _kit.Tenants.WaitForStatusAsync(slug, "active")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Delete_during_a_backup_cancels_queued_work_and_leaves_no_backup_unmarked_and_no_export()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("cmp-delete");
        await _kit.AddUserAsync(slug, $"erase-me@{slug}.example");
        var (tenant, _) = await _kit.Tenants.CatalogRowAsync(slug);
        using var admin = fixture.PlatformAdmin();
        var export = await ExportAsync(admin, slug);
        await WaitForExportAsync(admin, slug, export.GetProperty("id").GetString()!);
        await _kit.Tenants.InjectFaultAsync(slug, BackupSteps.Commit, "delay:3000");
        (await admin.PostAsync($"/api/tenants/{slug}/backups", null)).Dispose();
        await WaitForRunningAsync(slug, "Backup");
        (await admin.PostAsync($"/api/tenants/{slug}/hibernate", null)).Dispose(); // queued behind the backup

        using var deleted = await admin.DeleteAsync($"/api/tenants/{slug}");

        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await _kit.Tenants.WaitUntilGoneAsync(slug, TimeSpan.FromSeconds(60));
        Assert.False(await _kit.Tenants.DatabaseExistsAsync(tenant.DatabaseName));
        // The backup that was running when the delete came ended first (the delete cannot start beside it), and whatever it
        // recorded is marked for erasure with all the others: no backup of the deleted tenant is left unmarked.
        Assert.Equal(0, await _kit.Tenants.CatalogScalarAsync<long>(
            "SELECT count(*) FROM tenant_backups WHERE tenant_id = $1 AND tenant_deleted_at IS NULL", tenant.Id));
        Assert.Equal("Cancelled", await _kit.Tenants.CatalogScalarAsync<string>(
            "SELECT state FROM tenant_operations WHERE tenant_id = $1 AND kind = 'Hibernate'", tenant.Id));
        Assert.DoesNotContain("delete-failed", (await _kit.Tenants.AuditAsync(slug)).Select(a => a.Action));
        // Its export is erased with it: the row stays as a record, the blob is gone.
        Assert.Equal("Expired", await _kit.Tenants.CatalogScalarAsync<string>("SELECT state FROM tenant_exports WHERE tenant_id = $1", tenant.Id));
        var exports = (await fixture.BlobStoreAsync()).GetBlobContainerClient("exports");
        Assert.False((await exports.GetBlobClient(TenantAspire.Tenancy.Backups.BackupStore.ExportBlobName(tenant.Id, Guid.Parse(export.GetProperty("id").GetString()!))).ExistsAsync()).Value);
    }

    [Fact]
    public async Task A_download_past_its_expiry_is_gone_even_before_the_clean_up_runs()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("cmp-expiry");
        using var admin = fixture.PlatformAdmin();
        var export = await ExportAsync(admin, slug);
        var id = export.GetProperty("id").GetString()!;
        Assert.Equal("succeeded", (await WaitForExportAsync(admin, slug, id)).GetProperty("state").GetString());
        await _kit.Tenants.CatalogScalarAsync<long>("WITH u AS (UPDATE tenant_exports SET expires_at = now() - interval '1 second' WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", Guid.Parse(id));

        using var download = await admin.GetAsync($"/api/tenants/{slug}/exports/{id}/download");

        await AssertProblemAsync(download, HttpStatusCode.Gone);
    }

    [Fact]
    public async Task Backups_of_two_tenants_that_had_the_same_slug_are_never_mixed()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("cmp-reuse");
        var (first, _) = await _kit.Tenants.CatalogRowAsync(slug);
        await _kit.BackUpNowAsync(slug);
        using var admin = fixture.PlatformAdmin();
        (await admin.DeleteAsync($"/api/tenants/{slug}")).Dispose();
        await _kit.Tenants.WaitUntilGoneAsync(slug);
        await _kit.Tenants.CreateActiveSlugAsync(slug);
        var (second, _) = await _kit.Tenants.CatalogRowAsync(slug);
        await _kit.BackUpNowAsync(slug);

        var live = await admin.GetFromJsonAsync<JsonElement>($"/api/backups?tenant={slug}");
        var old = await admin.GetFromJsonAsync<JsonElement>($"/api/backups?tenant={slug}&tenantId={first.Id}");

        var liveItems = live.GetProperty("items").EnumerateArray().ToList();
        Assert.Single(liveItems);
        Assert.Equal(second.Id, liveItems[0].GetProperty("tenantId").GetGuid());
        Assert.False(liveItems[0].GetProperty("tenantDeleted").GetBoolean());
        var oldItems = old.GetProperty("items").EnumerateArray().ToList();
        Assert.Single(oldItems);
        Assert.Equal(first.Id, oldItems[0].GetProperty("tenantId").GetGuid());
        Assert.True(oldItems[0].GetProperty("tenantDeleted").GetBoolean());
    }
}
