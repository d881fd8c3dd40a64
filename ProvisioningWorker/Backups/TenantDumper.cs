using System.Data;
using Npgsql;
using TenantAspire.Tenancy.Credentials;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>What a dump recorded: its checksum and size, and the rows and schema version it holds.</summary>
public sealed record DumpResult(string Sha256, long Bytes, Dictionary<string, long> RowCounts, string? SchemaVersion, long UserWrites);

/// <summary>A tenant's own login on its database (its password as the catalog keeps it, protected).</summary>
public sealed record TenantLogin(string Server, string Database, string Role, string? ProtectedPassword);

/// <summary>
/// One consistent dump of a tenant database: a repeatable-read transaction exports its snapshot, counts the rows and reads the
/// migration history in it, and pg_dump reads that very snapshot (<c>--snapshot</c>); so the counts a backup records are exactly
/// the rows its dump holds, however busy the tenant is meanwhile. Both sessions log in as the tenant's own role, the least
/// privilege that reads everything it owns: never as a superuser session that a delete's <c>DROP DATABASE … WITH (FORCE)</c>,
/// run by the non-superuser provisioner, could not end.
/// </summary>
public sealed class TenantDumper(ServerConnections connections, TenantCredentialProtector protector, PgTools tools)
{
    public async Task<DumpResult> DumpAsync(TenantLogin login, Stream output, CancellationToken ct)
    {
        var password = protector.Unprotect(login.ProtectedPassword
            ?? throw new InvalidOperationException($"the tenant of {login.Database} has no login yet"));
        await using var session = await connections.OpenTenantAsync(login.Server, login.Database, login.Role, password, "pg_dump", ct);
        var connection = session.Connection;
        var userWrites = await WriteCounters.UserWritesAsync(connection, null, ct); // before the snapshot, like the database counter
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        string snapshot;
        await using (var export = new NpgsqlCommand("SELECT pg_export_snapshot()", connection, tx))
        {
            snapshot = (string)(await export.ExecuteScalarAsync(ct))!;
        }
        var counts = await RowCounts.ReadAsync(connection, tx, ct);
        var schema = await TenantHistory.AppliedAsync(connection, tx, ct);
        var (sha, bytes) = await tools.DumpAsync(login.Server, login.Database, login.Role, password, snapshot, output, ct);
        await tx.CommitAsync(ct);
        return new(sha, bytes, counts, schema, userWrites);
    }
}
