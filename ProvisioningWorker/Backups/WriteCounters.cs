using Npgsql;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>Reads the changed-only signal (<see cref="WriteSignal"/>) of tenant databases from <c>pg_stat_database</c>.</summary>
public sealed class WriteCounters(ServerConnections connections)
{
    private const string Query = "SELECT datname, tup_inserted + tup_updated + tup_deleted, stats_reset FROM pg_stat_database WHERE datname LIKE $1";

    /// <summary>Every tenant database of one server, in one query.</summary>
    public Task<Dictionary<string, WriteSignal>> ReadAsync(string server, CancellationToken ct) => ReadLikeAsync(server, "tdb\\_%", ct);

    /// <summary>One database (read just before its dump).</summary>
    public async Task<WriteSignal?> ReadAsync(string server, string database, CancellationToken ct) =>
        (await ReadLikeAsync(server, database.Replace("_", "\\_", StringComparison.Ordinal), ct)).GetValueOrDefault(database);

    private async Task<Dictionary<string, WriteSignal>> ReadLikeAsync(string server, string pattern, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        await using var command = new NpgsqlCommand(Query, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = pattern });
        var signals = new Dictionary<string, WriteSignal>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            signals[reader.GetString(0)] = new(reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2));
        }
        return signals;
    }
}
