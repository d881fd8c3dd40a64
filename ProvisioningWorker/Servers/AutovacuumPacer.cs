using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;

namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>
/// Keeps every server's <c>autovacuum_naptime</c> at <see cref="AutovacuumPacing"/>'s value for the databases it holds
/// (<c>ALTER SYSTEM</c> and a reload, as superuser; the command line sets nothing for it, so the server's
/// <c>postgresql.auto.conf</c> wins and survives restarts and a rebuilt server). Several worker replicas compute the same value
/// from the same count, so they need no lock.
/// </summary>
public sealed class AutovacuumPacer(
    ServerConnections connections,
    ServerResolver servers,
    CatalogMigrationState migrations,
    IOptions<AutovacuumPacingOptions> options,
    TimeProvider clock,
    ILogger<AutovacuumPacer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Interval <= TimeSpan.Zero)
        {
            return;
        }
        await migrations.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.Interval, clock);
        do
        {
            foreach (var server in servers.Names)
            {
                try
                {
                    await PaceAsync(server, stoppingToken);
                }
                catch (NpgsqlException e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Pacing autovacuum on {Server} failed; retrying at the next interval", server);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Sets the server's naptime for its database count if it is off by more than the hysteresis; returns the value in force.</summary>
    public async Task<TimeSpan> PaceAsync(string server, CancellationToken ct)
    {
        await using var connection = connections.OpenSuperuser(server, "postgres");
        await connection.OpenAsync(ct);
        await using var read = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM pg_database), setting::bigint FROM pg_settings WHERE name = 'autovacuum_naptime'", connection);
        long databases, currentSeconds;
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (databases, currentSeconds) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        var current = TimeSpan.FromSeconds(currentSeconds);
        var target = AutovacuumPacing.NaptimeFor(databases, options.Value.LaunchesPerSecond);
        if (!AutovacuumPacing.ShouldChange(current, target))
        {
            return current;
        }
        // ALTER SYSTEM takes no parameters; the value is a whole number this class computed, never input.
        await ServerAdmin.ExecuteAsync(connection,
            $"ALTER SYSTEM SET autovacuum_naptime = {((long)target.TotalSeconds).ToString(CultureInfo.InvariantCulture)}", ct);
        await ServerAdmin.ExecuteAsync(connection, "SELECT pg_reload_conf()", ct);
        logger.LogInformation("autovacuum_naptime on {Server} set to {Seconds} s for {Databases} databases (was {Current} s)",
            server, (long)target.TotalSeconds, databases, currentSeconds);
        return target;
    }
}
