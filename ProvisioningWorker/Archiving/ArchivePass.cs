using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.ProvisioningWorker.Backups;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Servers;

namespace TenantAspire.ProvisioningWorker.Archiving;

/// <summary>
/// Every <see cref="ArchiveOptions.PassInterval"/>, one worker at a time (advisory lock), for every server that archives its WAL:
/// makes sure its stanza exists, takes the base backup that is due (<see cref="BaseBackupPolicy"/>: full, else differential;
/// pgBackRest expires what the server's window no longer needs), and writes the server's recovery window into the catalog
/// (<see cref="DatabaseServer.RecoverableFrom"/>: the end of the oldest base backup; <see cref="DatabaseServer.ArchivedUntil"/>:
/// when Postgres last archived a segment) with the archive's lag as a metric. Base backups never overlap: one pass, one server
/// at a time, and pgBackRest's own stanza lock besides.
/// </summary>
public sealed class ArchivePass(
    IServiceScopeFactory scopes, ProvisioningReadiness readiness, ServerResolver servers, ServerConnections connections, PgBackRest pgBackRest,
    ScratchInstances scratches,
    IOptions<ArchiveOptions> options, TimeProvider clock, ILogger<ArchivePass> logger) : BackgroundService
{
    private readonly HashSet<string> _stanzas = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var archived = servers.Names.Where(s => servers.Definition(s).Archive is not null).ToList();
        if (archived.Count == 0)
        {
            return;
        }
        await readiness.WaitAsync(stoppingToken); // the tablespaces exist: a base backup taken now holds them (see ScratchInstance)
        using var timer = new PeriodicTimer(options.Value.PassInterval, clock);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
                await AdvisoryLocks.TryHoldAsync(db, AdvisoryLocks.ArchivePass, async () =>
                {
                    foreach (var server in archived)
                    {
                        await RemoveLeftoverScratchAsync(server, stoppingToken);
                        await ServerAsync(db, server, stoppingToken);
                    }
                }, stoppingToken);
                // Outside the pass's lock (a drill takes as long as a restore): each server's drill is claimed on its row instead.
                if (options.Value.DrillInterval > TimeSpan.Zero)
                {
                    var drill = scope.ServiceProvider.GetRequiredService<PointInTimeDrill>();
                    foreach (var server in archived)
                    {
                        await drill.RunAsync(server, options.Value.DrillInterval, stoppingToken);
                    }
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Archive pass failed; retrying at the next interval");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>
    /// A crashed worker's scratch instance (its Postgres keeps running, orphaned): removed at the next pass by whichever worker runs
    /// it, unless a live worker holds that server's scratch lock. Never stops the pass: the next restore on that server clears the
    /// folder under the lock anyway.
    /// </summary>
    private async Task RemoveLeftoverScratchAsync(string server, CancellationToken ct)
    {
        try
        {
            await scratches.RemoveLeftoversAsync(server, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Could not remove the scratch instance left on server {Server}", server);
        }
    }

    private async Task ServerAsync(CatalogDbContext db, string server, CancellationToken ct)
    {
        var definition = servers.Definition(server);
        var archive = definition.Archive!;
        var password = servers.Endpoint(server).Password;
        string? error = null;
        IReadOnlyList<BaseBackup> backups = [];
        try
        {
            if (!_stanzas.Contains(server))
            {
                await pgBackRest.RunAsPostgresAsync(archive, password, ["stanza-create"], ct);
                _stanzas.Add(server);
            }
            backups = await pgBackRest.BackupsAsync(archive, ct);
            if (BaseBackupPolicy.Due(backups, clock.GetUtcNow(), options.Value.FullBackupInterval, options.Value.DiffBackupInterval) is { } type)
            {
                var started = clock.GetTimestamp();
                await pgBackRest.RunAsPostgresAsync(archive, password, ["backup", $"--type={type}", "--repo1-retention-full-type=time",
                    $"--repo1-retention-full={options.Value.RetentionDays(definition.Tiers)}"], ct);
                ArchiveTelemetry.BaseBackups.Add(1, new KeyValuePair<string, object?>("type", type));
                logger.LogInformation("Base backup ({Type}) of server {Server} took {Seconds:0.0} s", type, server,
                    clock.GetElapsedTime(started).TotalSeconds);
                backups = await pgBackRest.BackupsAsync(archive, ct);
            }
        }
        catch (PgBackRestException e)
        {
            error = e.Message;
            logger.LogError("Archive of server {Server}: {Error}", server, e.Message);
        }
        var (archivedAt, failure) = await ArchiverAsync(server, ct);
        error ??= failure;
        var row = await db.Servers.SingleOrDefaultAsync(s => s.Name == server, ct);
        if (row is null)
        {
            return;
        }
        row.RecoverableFrom = backups.Count > 0 ? backups[0].Stop.AddSeconds(1) : null;
        row.ArchivedUntil = archivedAt;
        row.ArchiveError = error is { Length: > 2000 } ? error[..2000] : error;
        row.ArchiveCheckedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        if (archivedAt is { } at)
        {
            ArchiveTelemetry.SetLag(server, clock.GetUtcNow() - at);
        }
    }

    /// <summary>Postgres' own view of its archiving: when a segment last reached the archive, and whether the newest attempt failed.</summary>
    private async Task<(DateTimeOffset? ArchivedAt, string? Failure)> ArchiverAsync(string server, CancellationToken ct)
    {
        await using var connection = connections.OpenSuperuser(server, "postgres");
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT last_archived_time, last_failed_time, last_failed_wal FROM pg_stat_archiver", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        DateTimeOffset? archived = reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0);
        DateTimeOffset? failed = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
        var failure = failed is { } f && (archived is null || f > archived)
            ? $"archiving WAL segment {reader.GetString(2)} failed at {f:O} (see the server's log and pgBackRest's in its archive folder)"
            : null;
        return (archived, failure);
    }
}
