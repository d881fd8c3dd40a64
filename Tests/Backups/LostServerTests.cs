using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Npgsql;
using TenantAspire.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TenantAspire.Tests.Backups;

/// <summary>
/// Losing a server: its data folder is destroyed while it is stopped; started again, it is rebuilt from its WAL archive (the newest
/// base backup, then every archived segment) and serves its tenants with every write the archive held before the loss.
/// </summary>
[Collection(BackupStackCollection.Name)]
public sealed class LostServerTests(BackupStackFixture fixture, ITestOutputHelper output)
{
    private const string Server = "postgres-premium"; // not the catalog's server: the catalog keeps running and knows its tenants
    private readonly BackupTestKit _kit = new(fixture);

    [Fact]
    public async Task A_server_whose_data_folder_is_lost_is_rebuilt_from_its_archive_and_serves_every_archived_write()
    {
        var slug = TenantTestKit.NewSlug("lost");
        using (var created = await _kit.Tenants.CreateAsync(slug, tier: "premium"))
        {
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }
        var tenant = await _kit.Tenants.WaitForStatusAsync(slug, "active");
        Assert.Equal(Server, tenant.GetProperty("server").GetString());
        await _kit.WaitForWindowAsync(slug);
        await _kit.AddUserAsync(slug, $"kept@{slug}.example");
        var written = DateTimeOffset.UtcNow;
        JsonElement window = default;
        await Eventually.TrueAsync(async () =>
            (window = await _kit.RecoveryWindowAsync(slug)).GetProperty("archivedUntil") is { ValueKind: JsonValueKind.String } until
            && until.GetDateTimeOffset() > written, TimeSpan.FromSeconds(90), "the write's WAL segment archived");
        await _kit.AddUserAsync(slug, $"unarchived@{slug}.example"); // may be lost with the server: newer than the archive

        var instance = Assert.Single(await fixture.InstancesAsync(Server));
        await fixture.CommandInstanceAsync(instance, "resource-stop");
        Directory.Delete(Path.Combine(fixture.DataRoot, Server), recursive: true); // the disk is gone
        var lostAt = DateTimeOffset.UtcNow;
        await fixture.CommandInstanceAsync(instance, "resource-start");
        try
        {
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(Server).WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (Exception e) when (e is DistributedApplicationException or TimeoutException)
        {
            throw new InvalidOperationException($"{Server} was not rebuilt: " + await fixture.RecentLogsAsync(Server, 60), e);
        }

        List<string> emails = [];
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                emails = await _kit.EmailsAsync(slug);
                return true;
            }
            catch (HttpRequestException)
            {
                return false; // pools still holding connections to the lost server, or still replaying
            }
        }, TimeSpan.FromSeconds(60), $"{slug} served again");
        output.WriteLine($"lost at {lostAt:O}; archive had {window}; served again {(DateTimeOffset.UtcNow - lostAt).TotalSeconds:0.0} s later with {string.Join(", ", emails)}");
        Assert.Contains($"kept@{slug}.example", emails);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await _kit.AddUserAsync(slug, $"after@{slug}.example");
                return true;
            }
            catch (Xunit.Sdk.XunitException)
            {
                return false; // still in recovery: read-only until it promotes at the end of the archive
            }
        }, TimeSpan.FromSeconds(60), "writes accepted again");

        // Rebuilt, not re-created: the server promoted onto a new timeline at the end of its archive, and says so in its log.
        var connection = new NpgsqlConnectionStringBuilder(await fixture.ConnectionStringAsync(Server)) { Database = "postgres", Pooling = false };
        await using var admin = new NpgsqlConnection(connection.ConnectionString);
        await admin.OpenAsync();
        await using var timeline = new NpgsqlCommand("SELECT timeline_id FROM pg_control_checkpoint()", admin);
        Assert.True((int)(await timeline.ExecuteScalarAsync())! >= 2);
        Assert.Contains("rebuild: restored", await fixture.RecentLogsAsync(Server, 400), StringComparison.Ordinal);
    }
}
