using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TenantAspire.ProvisioningWorker.Servers;
using TenantAspire.Tenancy.Servers;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Provisioning;

/// <summary>The pacer sets a real server's <c>autovacuum_naptime</c> from its database count, and sets it back.</summary>
[Collection(AspireAppCollection.Name)]
public sealed class AutovacuumPacerTests(AspireAppFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task The_naptime_follows_the_servers_database_count()
    {
        var services = (await fixture.InProcessAsync()).WorkerServices;
        AutovacuumPacer Pacer(double launchesPerSecond) => new(services.GetRequiredService<ServerConnections>(),
            services.GetRequiredService<ServerResolver>(), services.GetRequiredService<CatalogMigrationState>(),
            Options.Create(new AutovacuumPacingOptions { LaunchesPerSecond = launchesPerSecond }), TimeProvider.System,
            NullLogger<AutovacuumPacer>.Instance);
        const string Count = "SELECT count(*) FROM pg_database";
        const string Naptime = "SELECT setting::bigint FROM pg_settings WHERE name = 'autovacuum_naptime'";

        // A slow rate (one launch every 4 s) makes the naptime 4 s per database: far from the default on any test server.
        var before = await _kit.ScalarAsync<long>(Count);
        var slow = await Pacer(0.25).PaceAsync("postgres", CancellationToken.None);
        var after = await _kit.ScalarAsync<long>(Count);
        Assert.InRange(slow.TotalSeconds, 4 * before, 4 * after); // spares may be made meanwhile
        // In force for new sessions: written with ALTER SYSTEM and reloaded.
        await Eventually.TrueAsync(async () => await _kit.ScalarAsync<long>(Naptime) == (long)slow.TotalSeconds,
            TimeSpan.FromSeconds(10), "the new naptime in force");

        // The configured rate takes it back to what the server's fleet asks for.
        var paced = await services.GetRequiredService<AutovacuumPacer>().PaceAsync("postgres", CancellationToken.None);
        var expected = AutovacuumPacing.NaptimeFor(await _kit.ScalarAsync<long>(Count), services.GetRequiredService<IOptions<AutovacuumPacingOptions>>().Value.LaunchesPerSecond);
        Assert.False(AutovacuumPacing.ShouldChange(paced, expected), $"paced {paced}, expected about {expected}");
        await Eventually.TrueAsync(async () => await _kit.ScalarAsync<long>(Naptime) == (long)paced.TotalSeconds,
            TimeSpan.FromSeconds(10), "the paced naptime in force");
    }
}
