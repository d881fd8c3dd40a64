using System.Data;
using Npgsql;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>What a dump recorded: its checksum and size, and the rows and schema version it holds.</summary>
public sealed record DumpResult(string Sha256, long Bytes, Dictionary<string, long> RowCounts, string? SchemaVersion, long UserWrites);

/// <summary>
/// One consistent dump of a tenant database: a repeatable-read transaction exports its snapshot, counts the rows and reads the
/// migration history in it, and pg_dump reads that very snapshot (<c>--snapshot</c>); so the counts a backup records are exactly
/// the rows its dump holds, however busy the tenant is meanwhile.
/// </summary>
public sealed class TenantDumper(ServerConnections connections, PgTools tools)
{
    public async Task<DumpResult> DumpAsync(string server, string database, string role, Stream output, CancellationToken ct)
    {
        await using var source = connections.AdminIn(server, database);
        await using var connection = await source.OpenConnectionAsync(ct);
        var userWrites = await WriteCounters.UserWritesAsync(connection, null, ct); // before the snapshot, like the database counter
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        string snapshot;
        await using (var export = new NpgsqlCommand("SELECT pg_export_snapshot()", connection, tx))
        {
            snapshot = (string)(await export.ExecuteScalarAsync(ct))!;
        }
        var counts = await RowCounts.ReadAsync(connection, tx, ct);
        var schema = await TenantHistory.AppliedAsync(connection, tx, ct);
        var (sha, bytes) = await tools.DumpAsync(server, database, role, snapshot, output, ct);
        await tx.CommitAsync(ct);
        return new(sha, bytes, counts, schema, userWrites);
    }
}
