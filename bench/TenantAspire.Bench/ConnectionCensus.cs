using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace TenantAspire.Bench;

/// <summary>
/// Who opens the connections a server counts at rest. Postgres counts sessions per database exactly (pg_stat_database) but not
/// who opened them, and 15 has no login trigger; so pg_stat_activity is sampled every few milliseconds for backends started in
/// the window, each classed by login, database and application name. A backend that starts and ends between two samples is
/// missed: the coverage line compares what was seen with the exact count.
/// </summary>
internal static class ConnectionCensus
{
    private static readonly TimeSpan SamplePeriod = TimeSpan.FromMilliseconds(5);

    private sealed record Source(string Login, string Database, string Application);

    private static readonly string[] RegistryCounters = ["hits", "grows", "misses", "transients", "evictions"];

    /// <param name="api">A platform admin's client of the API, whose connection registry's counters are read over the same window.</param>
    public static async Task RunAsync(string server, TimeSpan window, HttpClient api)
    {
        var registryBefore = await api.GetFromJsonAsync<JsonElement>("/api/diagnostics/registry");
        // One connection kept for the whole census: the sampler must not count itself.
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        var exactBefore = await SessionsByDatabaseAsync(connection);
        var since = await FleetScenario.ScalarAsync<DateTime>(connection, "SELECT now()");
        var seen = new Dictionary<(int Pid, DateTime Start), Source>();
        await using var sample = new NpgsqlCommand("""
            SELECT pid, backend_start, CASE WHEN usename LIKE 'trole\_%' THEN 'a tenant''s login' ELSE coalesce(usename, '') END,
                   CASE WHEN datname LIKE 'tdb%' THEN 'a tenant database' ELSE coalesce(datname, '') END, application_name
            FROM pg_stat_activity WHERE backend_type = 'client backend' AND backend_start >= $1 AND pid <> pg_backend_pid()
            """, connection);
        sample.Parameters.Add(new NpgsqlParameter { Value = since });
        await sample.PrepareAsync();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < window)
        {
            await using (var reader = await sample.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    seen.TryAdd((reader.GetInt32(0), reader.GetDateTime(1)), new Source(reader.GetString(2), reader.GetString(3), reader.GetString(4)));
                }
            }
            await Task.Delay(SamplePeriod);
        }
        var exactAfter = await SessionsByDatabaseAsync(connection);
        var registryAfter = await api.GetFromJsonAsync<JsonElement>("/api/diagnostics/registry");
        var exact = exactAfter.ToDictionary(d => d.Key, d => d.Value - exactBefore.GetValueOrDefault(d.Key));
        var total = exact.Values.Sum();

        Console.WriteLine();
        Console.WriteLine($"### Who opens the connections ({window.TotalSeconds:F0} s; backends sampled every {SamplePeriod.TotalMilliseconds:F0} ms)");
        Console.WriteLine($"Exact, by database (pg_stat_database.sessions): {string.Join(", ", exact.Where(d => d.Value > 0).OrderByDescending(d => d.Value).Select(d => $"{d.Key} {d.Value}"))}; " +
                          $"{total} in all. Seen by the sampler: {seen.Count} ({(total == 0 ? 0 : 100.0 * seen.Count / total):F0} %).");
        // Every request is one of these (RegistrySnapshot): only a hit needs no new connection, and a transient is a one-off
        // connection from the admission window (a tenant not admitted to the budget's main region).
        Console.WriteLine("The API's connection registry over the window: " +
                          string.Join(", ", RegistryCounters.Select(c => $"{c} {registryAfter.GetProperty(c).GetInt64() - registryBefore.GetProperty(c).GetInt64()}")) +
                          $"; at the end {registryAfter.GetProperty("liveDataSources").GetInt32()} live data sources, budget {registryAfter.GetProperty("budget").GetInt32()} " +
                          $"(admission window {registryAfter.GetProperty("admissionWindow").GetInt32()}).");
        Console.WriteLine("| login | database | application_name | connections seen | per minute |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var group in seen.Values.GroupBy(s => s).OrderByDescending(g => g.Count()))
        {
            Console.WriteLine($"| {group.Key.Login} | {group.Key.Database} | {(group.Key.Application.Length == 0 ? "(none)" : group.Key.Application)} | " +
                              $"{group.Count()} | {group.Count() * 60 / window.TotalSeconds:F0} |");
        }
    }

    /// <summary>Sessions established per database, the tenant databases as one.</summary>
    private static async Task<Dictionary<string, long>> SessionsByDatabaseAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT CASE WHEN datname LIKE 'tdb%' THEN 'tenant databases' ELSE datname END, sum(sessions)::bigint " +
            "FROM pg_stat_database WHERE datname IS NOT NULL GROUP BY 1", connection);
        var sessions = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            sessions[reader.GetString(0)] = reader.GetInt64(1);
        }
        return sessions;
    }
}
