using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tests.Backups;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Servers;

/// <summary>
/// A tenant's past lives on the server that held it then: after a move, a moment before the move is restored from the old server's
/// WAL archive into the tenant's database on the new server.
/// </summary>
[Collection(SettingsStacksCollection.Name)]
public sealed class PointInTimeAcrossMoveTests(ServersStackFixture fixture) : OnSharedStack(fixture)
{
    private readonly ServerTestKit _servers = new(fixture);
    private readonly BackupTestKit _backups = new(fixture);

    [Fact]
    public async Task A_moment_before_a_move_is_restored_from_the_old_servers_archive_into_the_new_server()
    {
        var slug = await _servers.OnStandardServerAsync("pitr-mv");
        await _backups.WaitForWindowAsync(slug); // the standard server's first base backup ended before the first write
        await _backups.AddUserAsync(slug, $"t1@{slug}.example");
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        var moment = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        await _backups.AddUserAsync(slug, $"t2@{slug}.example");

        var move = (await _servers.ChangeTierAsync(slug, "premium"))!.Value;
        var switched = await _servers.WaitForMoveAsync(slug, move.GetProperty("id").GetString()!, "Switched", "Completed", "Aborted", "Failed");
        Assert.True(switched.GetProperty("phase").GetString() is "switched" or "completed", switched.ToString());
        await _backups.AddUserAsync(slug, $"t3@{slug}.example");

        var window = await _backups.RecoveryWindowAsync(slug);
        var history = window.GetProperty("history").EnumerateArray().ToList();
        Assert.Equal([ServersStackFixture.Standard, ServersStackFixture.Premium], history.Select(h => h.GetProperty("server").GetString()));
        Assert.Equal(history[0].GetProperty("to").GetDateTimeOffset(), history[1].GetProperty("from").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, history[1].GetProperty("to").ValueKind);

        using var asked = await _backups.RestoreToAsync(slug, moment);
        Assert.True(asked.StatusCode == HttpStatusCode.Accepted, await asked.Content.ReadAsStringAsync());
        var id = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var restore = await _backups.WaitForRestoreAsync(slug, id, "Swapped", "Failed");
        Assert.True(restore.GetProperty("phase").GetString() == "swapped", restore.ToString());
        Assert.Equal(ServersStackFixture.Standard, restore.GetProperty("sourceServer").GetString());
        Assert.Equal([$"t1@{slug}.example"], await _backups.EmailsAsync(slug));
        Assert.Equal(ServersStackFixture.Premium, (await _servers.TenantAsync(slug)).GetProperty("server").GetString());

        // Undo: the database the restore replaced comes back with all three writes, and no undo window is left open (the stack's
        // drain test moves every tenant of this server, which a restore inside its undo window refuses).
        using (var admin = fixture.PlatformAdmin())
        using (var undo = await admin.PostAsync($"/api/tenants/{slug}/restore/undo", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, undo.StatusCode);
        }
        await _backups.WaitForRestoreAsync(slug, id, "Undone");
        Assert.Equal([$"t1@{slug}.example", $"t2@{slug}.example", $"t3@{slug}.example"], await _backups.EmailsAsync(slug));
    }
}
