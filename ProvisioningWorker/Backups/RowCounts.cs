using Npgsql;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>Rows per table of a tenant database's public schema: recorded with a backup, compared after a restore or a drill.</summary>
public static class RowCounts
{
    /// <summary>
    /// Every table counted in one round trip: the server quotes each name itself (<c>format('%I')</c>) and runs the count
    /// (<c>query_to_xml</c>), so no SQL is built here from names, and it all happens in the caller's snapshot.
    /// </summary>
    public static async Task<Dictionary<string, long>> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT c.relname,
                   (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', c.relname), false, true, '')))[1]::text::bigint
            FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
            WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> $1
            """, connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = MoveNames.MarkerTable }); // a move's bookkeeping, not tenant data
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }
        return counts;
    }

    /// <returns>Null when both hold the same tables with the same counts, else what differs.</returns>
    public static string? Compare(IReadOnlyDictionary<string, long> expected, IReadOnlyDictionary<string, long> actual)
    {
        var differences = expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal)
            .Where(t => expected.GetValueOrDefault(t, -1) != actual.GetValueOrDefault(t, -1))
            .Select(t => $"{t}: {Show(expected, t)} expected, {Show(actual, t)} found").ToList();
        return differences.Count == 0 ? null : "row counts differ (" + string.Join("; ", differences) + ")";

        static string Show(IReadOnlyDictionary<string, long> counts, string table) =>
            counts.TryGetValue(table, out var n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "no table";
    }
}
