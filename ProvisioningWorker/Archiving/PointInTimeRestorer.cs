using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.ProvisioningWorker.Backups;
using TenantAspire.ProvisioningWorker.Operations;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Archiving;

/// <summary>
/// What a point-in-time restore put into the new database, and where its time went (milliseconds per step: <c>archive</c> the
/// current WAL archived, <c>files</c> the base backup laid down, <c>replay</c> WAL replayed to the target, <c>copy</c> dump and
/// restore into the new database, <c>verify</c> row counts compared; <c>wholeCluster</c> 1 when --db-include could not be used).
/// </summary>
public sealed record PointInTimeResult(long Rows, string? SchemaVersion, DateTimeOffset? ReachedAt, string? WalPosition,
    IReadOnlyDictionary<string, long> StepsMs);

/// <summary>
/// Fills a new database with the source tenant's database as it was at the restore's moment: the WAL holding that moment is
/// archived first, a <see cref="ScratchInstance"/> of the source server is recovered to it, and its copy of the tenant's database is
/// dumped into the new database on the target server (as the tenant's role) and verified table by table against the scratch copy.
/// <see cref="RestoreHandler"/> then swaps it in like a backup's restore.
/// </summary>
public sealed class PointInTimeRestorer(
    ScratchInstances scratches, ServerAdmin admin, ServerConnections connections, PgTools tools, FaultInjector faults,
    IOptions<ArchiveOptions> options, TimeProvider clock)
{
    public async Task<PointInTimeResult> RestoreAsync(TenantRestore restore, string server, string database, string role, string? tablespace,
        CancellationToken ct)
    {
        var (source, sourceDatabase, target) = (restore.SourceServer!, restore.SourceDatabase!, restore.PointInTime!.Value);
        var steps = new Dictionary<string, long>(StringComparer.Ordinal);
        var step = System.Diagnostics.Stopwatch.StartNew();
        await ArchivePastAsync(source, ct);
        steps["archive"] = step.ElapsedMilliseconds;
        await using var scratch = await scratches.StartAsync(source, sourceDatabase, target, ct);
        (steps["files"], steps["replay"], steps["wholeCluster"]) =
            ((long)scratch.FilesRestored.TotalMilliseconds, (long)scratch.Replayed.TotalMilliseconds, scratch.WholeCluster ? 1 : 0);
        await scratch.OpenDatabaseAsync(sourceDatabase, ct);
        await RefuseInvalidPagesAsync(scratch, sourceDatabase, ct);
        await faults.ThrowIfInjectedAsync(restore.TenantSlug, BackupSteps.Scratch, ct);
        Dictionary<string, long> expected;
        await using (var connection = new NpgsqlConnection(scratch.Endpoint(sourceDatabase).ConnectionString))
        {
            await connection.OpenAsync(ct);
            expected = await RowCounts.ReadAsync(connection, null, ct);
        }

        await admin.DropDatabaseAsync(server, database, ct); // a previous attempt's leftover: start from nothing
        await admin.CreateEmptyDatabaseAsync(server, database, role, tablespace, ct);
        try
        {
            step.Restart();
            await tools.CopyAsync(scratch.Endpoint(sourceDatabase), sourceDatabase, restore.SourceRole ?? role, server, database, role, ct);
            steps["copy"] = step.ElapsedMilliseconds;
            step.Restart();
            await using var restored = connections.AdminIn(server, database);
            await using var connection = await restored.OpenConnectionAsync(ct);
            var counts = await RowCounts.ReadAsync(connection, null, ct);
            if (RowCounts.Compare(expected, counts) is { } difference)
            {
                throw new BackupUnusableException($"the restored database differs from the recovered one: {difference}");
            }
            steps["verify"] = step.ElapsedMilliseconds;
            return new(counts.Values.Sum(), await TenantHistory.AppliedAsync(connection, null, ct), scratch.ReachedAt, scratch.WalPosition, steps);
        }
        catch (Exception e) when (e is BackupUnusableException or PgToolException { Unreachable: false })
        {
            await admin.DropDatabaseAsync(server, database, CancellationToken.None);
            throw;
        }
    }

    private static async Task RefuseInvalidPagesAsync(ScratchInstance scratch, string database, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(scratch.Endpoint("postgres").ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT oid FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
        var oid = (uint)(await command.ExecuteScalarAsync(ct))!;
        if (scratch.InvalidPagesIn(oid) is { Count: > 0 } invalid)
        {
            throw new BackupUnusableException($"WAL replay met invalid pages in the tenant's database ({string.Join(", ", invalid.Take(5))}): not restored");
        }
    }

    /// <summary>
    /// Recovery stops at the first commit after its target, and fails if the archive ends before one: a commit is made now and its
    /// WAL segment switched and archived, so every moment up to now can be reached, on a quiet server too.
    /// </summary>
    private async Task ArchivePastAsync(string server, CancellationToken ct)
    {
        await using var connection = connections.OpenSuperuser(server, "postgres");
        await connection.OpenAsync(ct);
        await using (var commit = new NpgsqlCommand("SELECT txid_current()", connection))
        {
            await commit.ExecuteScalarAsync(ct); // an autocommitted statement that takes a transaction id writes a commit record
        }
        await using var switchWal = new NpgsqlCommand("SELECT pg_walfile_name(pg_switch_wal())", connection);
        var segment = (string)(await switchWal.ExecuteScalarAsync(ct))!;
        var deadline = clock.GetUtcNow() + options.Value.ArchiveWait;
        await using var archived = new NpgsqlCommand("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver", connection);
        while (string.CompareOrdinal((string)(await archived.ExecuteScalarAsync(ct))!, segment) < 0)
        {
            if (clock.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"WAL segment {segment} of server '{server}' was not archived within {options.Value.ArchiveWait.TotalSeconds:0} s");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
        }
    }
}
