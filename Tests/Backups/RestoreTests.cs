using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Backups;

[Collection(BackupStackCollection.Name)]
public sealed class RestoreTests(BackupStackFixture fixture)
{
    private readonly BackupTestKit _kit = new(fixture);

    [Fact]
    public async Task Restore_in_place_brings_the_backup_back_and_undo_brings_the_changes_back()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("rs-inplace");
        await _kit.AddUserAsync(slug, $"kept@{slug}.example");
        var backup = await _kit.BackUpNowAsync(slug);
        Assert.Equal(1, backup.GetProperty("rowCounts").GetProperty("users").GetInt64());

        await _kit.AddUserAsync(slug, $"after@{slug}.example");
        var changed = await _kit.EmailsAsync(slug);
        Assert.Equal(2, changed.Count);

        using var asked = await _kit.RestoreAsync(slug, backup.GetProperty("id").GetString()!);
        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
        var id = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var restore = await _kit.WaitForRestoreAsync(slug, id, "Swapped", "Failed");
        Assert.True(restore.GetProperty("phase").GetString() == "swapped", restore.ToString());
        Assert.Equal([$"kept@{slug}.example"], await _kit.EmailsAsync(slug)); // the data equals the backup
        Assert.True(restore.GetProperty("rowsVerified").GetInt64() >= 1);

        // Undo: the database the restore replaced comes back, with the change made after the backup.
        using var admin = fixture.PlatformAdmin();
        using var undo = await admin.PostAsync($"/api/tenants/{slug}/restore/undo", null);
        Assert.Equal(HttpStatusCode.Accepted, undo.StatusCode);
        await _kit.WaitForRestoreAsync(slug, id, "Undone");
        Assert.Equal(changed, await _kit.EmailsAsync(slug));
        using var again = await admin.PostAsync($"/api/tenants/{slug}/restore/undo", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode); // nothing left to undo
    }

    [Fact]
    public async Task Restore_as_a_sibling_makes_a_new_tenant_with_the_backup_and_leaves_the_source_alone()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("rs-src");
        await _kit.AddUserAsync(slug, $"one@{slug}.example");
        var backup = await _kit.BackUpNowAsync(slug);
        await _kit.AddUserAsync(slug, $"two@{slug}.example");
        var sibling = TenantTestKit.NewSlug("rs-sib");

        using var asked = await _kit.RestoreAsync(slug, backup.GetProperty("id").GetString()!, sibling);
        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
        var id = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var restore = await _kit.WaitForRestoreAsync(sibling, id, "Completed", "Failed");
        Assert.True(restore.GetProperty("phase").GetString() == "completed", restore.ToString());
        Assert.Equal("sibling", restore.GetProperty("mode").GetString());

        Assert.Equal([$"one@{slug}.example"], await _kit.EmailsAsync(sibling));
        Assert.Equal(2, (await _kit.EmailsAsync(slug)).Count); // the source is untouched
        var (row, _) = await _kit.Tenants.CatalogRowAsync(sibling);
        Assert.Equal(1, await _kit.Tenants.CatalogScalarAsync<long>("SELECT count(*) FROM tenants WHERE slug = $1 AND status = 'Active'", sibling));
        Assert.True(await _kit.Tenants.DatabaseExistsAsync(row.DatabaseName));
    }

    [Fact]
    public async Task A_corrupted_backup_is_refused_with_a_problem_and_nothing_changes()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("rs-bad");
        await _kit.AddUserAsync(slug, $"one@{slug}.example");
        await _kit.AddUserAsync(slug, $"two@{slug}.example");
        await _kit.BackUpNowAsync(slug);
        await _kit.SettledCountAsync(slug); // no further backup: the one corrupted below stays the tenant's newest, which drills take
        var backupId = (await _kit.BackupsAsync(slug))[0].GetProperty("id").GetString()!;
        var blobName = await _kit.Tenants.CatalogScalarAsync<string>("SELECT blob_name FROM tenant_backups WHERE id = $1", Guid.Parse(backupId));
        var container = await _kit.BackupContainerAsync();
        var blob = container.GetBlobClient(blobName);
        var original = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        var corrupt = original.ToArray();
        corrupt[corrupt.Length / 2] ^= 0xFF; // one flipped byte, same length
        await blob.UploadAsync(new BinaryData(corrupt), overwrite: true);
        var corruptedAt = DateTimeOffset.UtcNow;

        using var refused = await _kit.RestoreAsync(slug, backupId);
        var detail = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString();
        Assert.Contains("corrupt", detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await _kit.Tenants.CatalogScalarAsync<long>(
            "SELECT count(*) FROM tenant_restores WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1)", slug));
        Assert.Equal(2, (await _kit.EmailsAsync(slug)).Count);

        // The drills find it too: the backup's drill fails, and says why.
        var drilled = await _kit.WaitForBackupAsync(slug, b => b.GetProperty("id").GetString() == backupId
            && b.TryGetProperty("drill", out var d) && d.ValueKind == JsonValueKind.Object && d.GetProperty("at").GetDateTimeOffset() > corruptedAt
            && d.GetProperty("outcome").GetString() == "failed", TimeSpan.FromSeconds(90), "a failed drill of the corrupted backup");
        Assert.Contains("corrupt", drilled.GetProperty("drill").GetProperty("error").GetString(), StringComparison.Ordinal);
        await blob.UploadAsync(new BinaryData(original), overwrite: true);
    }

    [Fact]
    public async Task Restores_are_for_platform_admins_and_bad_input_is_a_problem()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("rs-auth");
        var backup = await _kit.BackUpNowAsync(slug);
        var backupId = backup.GetProperty("id").GetString()!;
        using (var tenantAdmin = fixture.ApiAs(slug, TenantClaims.TenantAdmin))
        {
            using var forbidden = await tenantAdmin.PostAsJsonAsync($"/api/tenants/{slug}/restore", new { backupId });
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            using var undo = await tenantAdmin.PostAsync($"/api/tenants/{slug}/restore/undo", null);
            Assert.Equal(HttpStatusCode.Forbidden, undo.StatusCode);
            using var list = await tenantAdmin.GetAsync($"/api/tenants/{slug}/backups");
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        }
        using var admin = fixture.PlatformAdmin();
        using (var missing = await admin.PostAsJsonAsync($"/api/tenants/{slug}/restore", new { }))
        {
            await Admin.TenantLifecycleTests.AssertProblemAsync(missing, HttpStatusCode.BadRequest);
        }
        using (var unknown = await _kit.RestoreAsync(slug, Guid.NewGuid().ToString()))
        {
            await Admin.TenantLifecycleTests.AssertProblemAsync(unknown, HttpStatusCode.NotFound);
        }
        using (var badSlug = await _kit.RestoreAsync(slug, backupId, "Not A Slug"))
        {
            await Admin.TenantLifecycleTests.AssertProblemAsync(badSlug, HttpStatusCode.BadRequest);
        }
        using (var taken = await _kit.RestoreAsync(slug, backupId, slug))
        {
            await Admin.TenantLifecycleTests.AssertProblemAsync(taken, HttpStatusCode.Conflict);
        }
        using (var nothingToUndo = await admin.PostAsync($"/api/tenants/{slug}/restore/undo", null))
        {
            await Admin.TenantLifecycleTests.AssertProblemAsync(nothingToUndo, HttpStatusCode.Conflict);
        }
        Assert.Equal(0, await _kit.Tenants.CatalogScalarAsync<long>(
            "SELECT count(*) FROM tenant_restores WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1)", slug));
    }

    [Fact]
    public async Task The_replaced_database_is_dropped_after_the_undo_window()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("rs-window");
        var backup = await _kit.BackUpNowAsync(slug);
        var (before, _) = await _kit.Tenants.CatalogRowAsync(slug);
        using var asked = await _kit.RestoreAsync(slug, backup.GetProperty("id").GetString()!);
        var id = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var swapped = await _kit.WaitForRestoreAsync(slug, id, "Swapped", "Failed");
        Assert.True(swapped.GetProperty("phase").GetString() == "swapped", swapped.ToString());
        Assert.True(await _kit.Tenants.DatabaseExistsAsync(before.DatabaseName)); // kept, closed, for an undo
        var (after, _) = await _kit.Tenants.CatalogRowAsync(slug);
        Assert.NotEqual(before.DatabaseName, after.DatabaseName);

        await _kit.WaitForRestoreAsync(slug, id, "Completed");
        Assert.False(await _kit.Tenants.DatabaseExistsAsync(before.DatabaseName));
        Assert.True(await _kit.Tenants.DatabaseExistsAsync(after.DatabaseName));
        using var admin = fixture.PlatformAdmin();
        using var late = await admin.PostAsync($"/api/tenants/{slug}/restore/undo", null);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    [Fact]
    public async Task A_deleted_tenants_backup_brings_it_back_as_a_new_tenant_within_the_grace()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("rs-deleted");
        await _kit.AddUserAsync(slug, $"kept@{slug}.example");
        var backupId = (await _kit.BackUpNowAsync(slug)).GetProperty("id").GetString()!;
        using var admin = fixture.PlatformAdmin();
        (await admin.DeleteAsync($"/api/tenants/{slug}")).Dispose();
        await _kit.Tenants.WaitUntilGoneAsync(slug);

        var listed = await admin.GetFromJsonAsync<JsonElement>($"/api/backups?tenant={slug}");
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), b => b.GetProperty("id").GetString() == backupId);
        using (var noSlug = await admin.PostAsJsonAsync($"/api/backups/{backupId}/restore", new { }))
        {
            await Admin.TenantLifecycleTests.AssertProblemAsync(noSlug, HttpStatusCode.BadRequest);
        }
        using (var unknown = await admin.PostAsJsonAsync($"/api/backups/{Guid.NewGuid()}/restore", new { asSlug = TenantTestKit.NewSlug("rs-none") }))
        {
            await Admin.TenantLifecycleTests.AssertProblemAsync(unknown, HttpStatusCode.NotFound);
        }
        var revived = TenantTestKit.NewSlug("rs-revived");
        using var asked = await admin.PostAsJsonAsync($"/api/backups/{backupId}/restore", new { asSlug = revived });
        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
        var id = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var restore = await _kit.WaitForRestoreAsync(revived, id, "Completed", "Failed");
        Assert.True(restore.GetProperty("phase").GetString() == "completed", restore.ToString());
        Assert.Equal([$"kept@{slug}.example"], await _kit.EmailsAsync(revived));
    }
}
