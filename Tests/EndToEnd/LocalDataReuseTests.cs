using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Npgsql;
using TenantAspire.TestSupport;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.EndToEnd;

/// <summary>A second run of the AppHost in local mode reuses the data folder: no re-initialisation, no data loss.</summary>
public sealed class LocalDataReuseTests
{
    [Fact]
    public async Task Second_run_reuses_the_local_cluster_and_its_data()
    {
        var root = Path.Combine("/var/tmp", "tenantaspire-tests", "reuse-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await WithCatalogAsync(root, "CREATE TABLE reuse_marker(v text); INSERT INTO reuse_marker VALUES ('kept')");
            var pgVersionWritten = File.GetLastWriteTimeUtc(Path.Combine(root, "postgres", "PG_VERSION"));

            var value = await WithCatalogAsync(root, "SELECT v FROM reuse_marker");

            Assert.Equal("kept", value);
            Assert.Equal(pgVersionWritten, File.GetLastWriteTimeUtc(Path.Combine(root, "postgres", "PG_VERSION"))); // no second initdb
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<object?> WithCatalogAsync(string root, string sql)
    {
        await using var slot = await StackSlots.TakeAsync(); // a whole stack: one of the run's slots (disposed after the app)
        await using var booting = await StackSlots.BootingAsync(); // it only boots: the gate for its whole life
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["Infrastructure=local", $"LocalInfrastructure:DataRoot={root}"]);
        builder.WithoutOtlpExport();
        await using var app = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await app.StartAsync(cts.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("catalog", cts.Token);
        object? result;
        await using (var connection = new NpgsqlConnection(await app.GetConnectionStringAsync("catalog", cts.Token)))
        {
            await connection.OpenAsync(cts.Token);
            await using var command = new NpgsqlCommand(sql, connection);
            result = await command.ExecuteScalarAsync(cts.Token);
        }
        NpgsqlConnection.ClearAllPools();
        await app.StopAsync(cts.Token);
        return result;
    }
}
