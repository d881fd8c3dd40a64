using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Backups;

/// <summary>What the backup tests do through the API: write users, list backups, restore and wait for restores.</summary>
public sealed class BackupTestKit(AspireAppFixture fixture)
{
    public TenantTestKit Tenants { get; } = new(fixture);

    public async Task AddUserAsync(string slug, string email)
    {
        using var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        using var response = await api.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email, name = "User" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public async Task<List<string>> EmailsAsync(string slug)
    {
        using var api = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        var users = await api.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/users?pageSize=100");
        return [.. users.GetProperty("items").EnumerateArray().Select(u => u.GetProperty("email").GetString()!).Order(StringComparer.Ordinal)];
    }

    public async Task<List<JsonElement>> BackupsAsync(string slug)
    {
        using var admin = fixture.PlatformAdmin();
        var page = await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/backups?pageSize=100");
        return [.. page.GetProperty("items").EnumerateArray()];
    }

    /// <summary>Waits for a backup that satisfies <paramref name="match"/> (newest first) and returns it.</summary>
    public async Task<JsonElement> WaitForBackupAsync(string slug, Func<JsonElement, bool> match, TimeSpan? timeout = null, string? what = null)
    {
        JsonElement found = default;
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                var backup = (await BackupsAsync(slug)).FirstOrDefault(match);
                found = backup;
                return backup.ValueKind == JsonValueKind.Object;
            }, timeout ?? TimeSpan.FromSeconds(60), what ?? $"a backup of {slug}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + await WorkerStoryAsync(slug), e);
        }
        return found;
    }

    /// <summary>Asks the worker to back the tenant up now and returns the new backup.</summary>
    public async Task<JsonElement> BackUpNowAsync(string slug)
    {
        var before = (await BackupsAsync(slug)).Select(b => b.GetProperty("id").GetString()).ToHashSet();
        using var admin = fixture.PlatformAdmin();
        using var response = await admin.PostAsync($"/api/tenants/{slug}/backups", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        // The manual one, not any new one: a scheduled pass (every second here) may commit a backup whose snapshot was taken
        // before the caller's last write (a clean-clone run restored such a backup and read no users).
        return await WaitForBackupAsync(slug, b => !before.Contains(b.GetProperty("id").GetString())
            && b.GetProperty("trigger").GetString() == TenantAspire.ProvisioningWorker.Backups.BackupHandler.ManualTrigger,
            what: $"the manual backup of {slug}");
    }

    /// <summary>The backup store as the worker sees it (the AppHost's connection string).</summary>
    public async Task<Azure.Storage.Blobs.BlobContainerClient> BackupContainerAsync() =>
        (await fixture.BlobStoreAsync()).GetBlobContainerClient("backups");

    public async Task<List<JsonElement>> PassesAsync()
    {
        using var admin = fixture.PlatformAdmin();
        var page = await admin.GetFromJsonAsync<JsonElement>("/api/backups/passes?pageSize=100");
        return [.. page.GetProperty("items").EnumerateArray()];
    }

    /// <summary>For a failing test's message: the tenant's operations and the worker's last lines.</summary>
    public async Task<string> WorkerStoryAsync(string slug)
    {
        var operations = await Tenants.CatalogScalarAsync<string>(
            "SELECT string_agg(kind || ' ' || state || ' ' || coalesce(last_error, ''), ' | ') FROM tenant_operations WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1)", slug);
        return $"\noperations: {operations}\n" + await fixture.RecentLogsAsync("provisioning-worker", 30) + await fixture.RecentLogsAsync("blobs", 30);
    }

    public async Task<HttpResponseMessage> RestoreAsync(string slug, string backupId, string? asSlug = null)
    {
        using var admin = fixture.PlatformAdmin();
        return await admin.PostAsJsonAsync($"/api/tenants/{slug}/restore", new { backupId, asSlug });
    }

    /// <summary>A point-in-time restore of the tenant (in place, or as the sibling <paramref name="asSlug"/>).</summary>
    public async Task<HttpResponseMessage> RestoreToAsync(string slug, DateTimeOffset pointInTime, string? asSlug = null)
    {
        using var admin = fixture.PlatformAdmin();
        return await admin.PostAsJsonAsync($"/api/tenants/{slug}/restore", new { pointInTime, asSlug });
    }

    /// <summary>The tenant's recovery window, once its server's first base backup is in the archive (earliest set).</summary>
    public async Task<JsonElement> RecoveryWindowAsync(string slug)
    {
        using var admin = fixture.PlatformAdmin();
        JsonElement window = default;
        await Eventually.TrueAsync(async () =>
        {
            window = await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/recovery");
            return window.GetProperty("earliest").ValueKind == JsonValueKind.String;
        }, TimeSpan.FromSeconds(120), $"a recovery window for {slug} (its server's first base backup)");
        return window;
    }

    /// <summary>Waits until the tenant's point-in-time window has begun (its server's base backup ended a second ago or more).</summary>
    public async Task WaitForWindowAsync(string slug)
    {
        var earliest = (await RecoveryWindowAsync(slug)).GetProperty("earliest").GetDateTimeOffset();
        if (earliest.AddSeconds(1) - DateTimeOffset.UtcNow is { Ticks: > 0 } wait)
        {
            await Task.Delay(wait);
        }
    }

    public async Task<JsonElement> WaitForRestoreAsync(string slug, string id, params string[] phases)
    {
        using var admin = fixture.PlatformAdmin();
        JsonElement restore = default;
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                restore = await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/restores/{id}");
                return phases.Contains(restore.GetProperty("phase").GetString(), StringComparer.OrdinalIgnoreCase);
            }, TimeSpan.FromSeconds(90), $"restore {id} of {slug} reaches {string.Join(" or ", phases)}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + $" (last: {restore})" + await WorkerStoryAsync(slug), e);
        }
        return restore;
    }

    /// <summary>Waits until the tenant's backup count stays put for three seconds of passes; returns it.</summary>
    public async Task<int> SettledCountAsync(string slug)
    {
        var count = -1;
        var stableSince = DateTime.UtcNow;
        var deadline = DateTime.UtcNow.AddSeconds(40);
        while (DateTime.UtcNow < deadline)
        {
            var now = (await BackupsAsync(slug)).Count;
            if (now != count)
            {
                count = now;
                stableSince = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - stableSince > TimeSpan.FromSeconds(12))
            {
                return count;
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"the backups of {slug} kept coming ({count}) without a write");
    }
}
