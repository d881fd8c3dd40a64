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
}
