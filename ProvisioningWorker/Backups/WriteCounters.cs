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

    /// <summary>
    /// The tenant's own writes: its user tables' counters, read inside its database as the provisioner. Not as the admin: this
    /// runs from the backup pass beside the tenant's operations, and a delete's <c>DROP DATABASE … WITH (FORCE)</c>, run by the
    /// provisioner, may end the provisioner's sessions but not a superuser's (42501).
    /// </summary>
    public async Task<long> UserWritesAsync(string server, string database, CancellationToken ct)
    {
        await using var session = await connections.OpenProvisionerInAsync(server, database, ct);
        return await UserWritesAsync(session.Connection, null, ct);
    }

    public static async Task<long> UserWritesAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint FROM pg_stat_user_tables", connection, tx);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

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
