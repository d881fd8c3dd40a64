using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.ProvisioningWorker.Backups;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tests.Backups;
using TenantAspire.Tests.Servers;

namespace TenantAspire.Tests.Composition;

/// <summary>
/// Restores composed with what comes before and after them: a failed later restore, a move inside the undo window, a move whose
/// source is still kept, a delete.
/// </summary>
[Collection(BackupStackCollection.Name)]
public sealed class RestoreCompositionTests(BackupStackFixture fixture)
{
    private readonly BackupTestKit _kit = new(fixture);

    private async Task<string> RestoreAcceptedAsync(string slug, string backupId)
    {
        using var asked = await _kit.RestoreAsync(slug, backupId);
        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
        return (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Undo_reaches_the_restore_inside_its_window_after_a_later_one_failed_and_a_move_waits_for_the_window()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("cmp-undo");
        await _kit.AddUserAsync(slug, $"kept@{slug}.example");
        var backup = (await _kit.BackUpNowAsync(slug)).GetProperty("id").GetString()!;
        await _kit.AddUserAsync(slug, $"after@{slug}.example");
        var changed = await _kit.EmailsAsync(slug);
        var first = await RestoreAcceptedAsync(slug, backup);
        Assert.Equal("swapped", (await _kit.WaitForRestoreAsync(slug, first, "Swapped", "Failed")).GetProperty("phase").GetString());

        // Inside the first restore's undo window: a move would strand the database the undo needs.
        using var admin = fixture.PlatformAdmin();
        using var move = await admin.PostAsJsonAsync($"/api/tenants/{slug}/tier", new { tier = "premium" });
        await Admin.TenantLifecycleTests.AssertProblemAsync(move, HttpStatusCode.Conflict);

        // A later restore fails for good before its swap...
        await _kit.Tenants.InjectFaultAsync(slug, BackupSteps.Swap, "permanent");
        var second = await RestoreAcceptedAsync(slug, backup);
        Assert.Equal("failed", (await _kit.WaitForRestoreAsync(slug, second, "Failed", "Swapped")).GetProperty("phase").GetString());
        await _kit.Tenants.InjectFaultAsync(slug, BackupSteps.Swap, null);

        // ...and the first is still undone, with the writes made after its backup.
        using var undo = await admin.PostAsync($"/api/tenants/{slug}/restore/undo", null);
        Assert.Equal(HttpStatusCode.Accepted, undo.StatusCode);
        Assert.Equal(first, (await undo.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        await _kit.WaitForRestoreAsync(slug, first, "Undone");
        Assert.Equal(changed, await _kit.EmailsAsync(slug));
        Assert.Equal("active", (await _kit.Tenants.WaitForStatusAsync(slug, "active")).GetProperty("status").GetString());
    }

    /// <summary>
    /// The operation storm's 5,000-operation bench runs found it: a restore gives the tenant a new database (the restore's name)
    /// while a switched move still keeps its source under the old name on the other server; the source's drop and a delete then
    /// looked for the new name there, left the source behind, and failed to drop the role that still owned it (2BP01).
    /// </summary>
    [Fact]
    public async Task A_restore_after_a_move_keeps_the_source_under_its_own_name_and_a_delete_removes_everything()
    {
        var servers = new ServerTestKit(fixture);
        var slug = await _kit.Tenants.CreateActiveAsync("cmp-mvrs");
        await _kit.AddUserAsync(slug, $"kept@{slug}.example");
        var backup = (await _kit.BackUpNowAsync(slug)).GetProperty("id").GetString()!;
        var (tenant, _) = await _kit.Tenants.CatalogRowAsync(slug);
        var move = await servers.ChangeTierAsync(slug, "premium");
        Assert.NotNull(move);
        await servers.WaitForMoveAsync(slug, move.Value.GetProperty("id").GetString()!, "Switched");
        var moved = (await servers.TenantAsync(slug)).GetProperty("server").GetString()!;
        Assert.NotEqual(tenant.Server, moved);

        var restore = await RestoreAcceptedAsync(slug, backup);
        await _kit.WaitForRestoreAsync(slug, restore, "Swapped");
        var restored = TenantNaming.RestoredDatabaseName(Guid.Parse(restore));
        Assert.Equal("closed", await servers.DatabaseStateAsync(tenant.Server, tenant.DatabaseName)); // the move's kept source
        Assert.Equal("open", await servers.DatabaseStateAsync(moved, restored));

        using (var admin = fixture.PlatformAdmin())
        using (var deleted = await admin.DeleteAsync($"/api/tenants/{slug}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        }
        try
        {
            await _kit.Tenants.WaitUntilGoneAsync(slug, TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; the tenant: {await servers.TenantAsync(slug)}", e);
        }
        foreach (var server in new[] { tenant.Server, moved })
        {
            Assert.Equal(0L, await servers.ScalarOnAsync<long>(server, "postgres",
                "SELECT count(*) FROM pg_database WHERE datname = ANY($1)", (object)new[] { tenant.DatabaseName, restored }));
            Assert.Equal(0L, await servers.ScalarOnAsync<long>(server, "postgres", "SELECT count(*) FROM pg_roles WHERE rolname = $1", tenant.RoleName));
        }
    }

    /// <summary>
    /// A move's publication in the tenant's database (left by an aborted move whose tidy-up failed, or there while it copies)
    /// went into dumps, and a restore, run as the tenant's role, then failed: only a superuser may publish a schema.
    /// </summary>
    [Fact]
    public async Task A_publication_in_the_tenants_database_stays_out_of_its_backup_which_restores()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("cmp-pub");
        await _kit.AddUserAsync(slug, $"kept@{slug}.example");
        var (tenant, _) = await _kit.Tenants.CatalogRowAsync(slug);
        await new ServerTestKit(fixture).ScalarOnAsync<object>(tenant.Server, tenant.DatabaseName,
            $"CREATE PUBLICATION move_{Guid.CreateVersion7():N} FOR TABLES IN SCHEMA public");
        var backup = (await _kit.BackUpNowAsync(slug)).GetProperty("id").GetString()!;
        var id = await RestoreAcceptedAsync(slug, backup);
        var restore = await _kit.WaitForRestoreAsync(slug, id, "Swapped", "Failed");
        Assert.True(restore.GetProperty("phase").GetString() == "swapped", restore.ToString());
        Assert.Equal([$"kept@{slug}.example"], await _kit.EmailsAsync(slug));
    }

    [Fact]
    public async Task A_swap_says_restoring_not_moving_and_the_audit_trail_shows_the_hold()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("cmp-swap");
        var backup = (await _kit.BackUpNowAsync(slug)).GetProperty("id").GetString()!;
        var id = await RestoreAcceptedAsync(slug, backup);
        await _kit.WaitForRestoreAsync(slug, id, "Swapped");

        var actions = (await _kit.Tenants.AuditAsync(slug)).Select(a => a.Action).ToList();
        var hold = actions.IndexOf("swap-hold");
        Assert.True(hold >= 0 && actions.IndexOf("released", hold) > hold, string.Join(", ", actions));
        Assert.DoesNotContain("cutover-hold", actions);
    }
}
