using Npgsql;

namespace TenantAspire.Bench;

/// <summary>
/// What the autovacuum launcher costs a server with many tenant databases, side by side in one run: the same direct select-only
/// load (32 clients on one tenant database) with <c>autovacuum_naptime</c> at Postgres' default 60 s and at 300 s, alternated twice
/// (ALTER SYSTEM + reload), counting the autovacuum worker processes seen meanwhile. Measured: no effect above this machine's
/// noise, so the AppHost leaves the default (docs/benchmarks.md).
/// </summary>
public static class AutovacuumScenario
{
    public static async Task RunAsync(int tenants, int seconds)
    {
        await using var stack = await Stack.StartAsync(["LocalInfrastructure:MaxConnections=500"], _ => { });
        var slugs = Enumerable.Range(0, tenants).Select(i => $"vac-{i:D5}").ToArray();
        await stack.CreateTenantsAsync(slugs);
        var database = (await LoadScenario.DatabaseNamesAsync(stack, slugs))[slugs[0]];
        var direct = await LoadScenario.DirectAsync(stack.Server, database);
        Console.WriteLine($"{tenants} tenant databases; {seconds} s per round, 32 clients, select-only on one tenant database");
        Console.WriteLine();
        Console.WriteLine("| autovacuum_naptime | RPS | p50 ms | p99 ms | autovacuum workers started per s |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var naptime in new[] { "60s", "300s", "60s", "300s" })
        {
            await SetNaptimeAsync(stack.Server, naptime);
            await Task.Delay(TimeSpan.FromSeconds(3)); // the launcher picks the new schedule up at its next wake-up
            using var stop = new CancellationTokenSource();
            var workers = CountAutovacuumWorkersAsync(stack.Server, stop.Token);
            var result = await LoadScenario.RunAsync($"naptime {naptime}", seconds, 32, "bench-direct", stack.Server, direct);
            await stop.CancelAsync();
            var started = await workers;
            Console.WriteLine($"| {naptime} | {result.Rps:F0} | {result.P50:F2} | {result.P99:F2} | {started / (double)seconds:F1} |");
        }
    }

    private static async Task SetNaptimeAsync(string server, string naptime)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        // naptime comes from the fixed list above, never from input.
        await using (var set = new NpgsqlCommand($"ALTER SYSTEM SET autovacuum_naptime = '{naptime}'", connection))
        {
            await set.ExecuteNonQueryAsync();
        }
        await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
        await reload.ExecuteScalarAsync();
    }

    /// <summary>Distinct autovacuum worker processes seen in pg_stat_activity (sampled every 10 ms) until cancelled.</summary>
    private static async Task<int> CountAutovacuumWorkersAsync(string server, CancellationToken stop)
    {
        var seen = new HashSet<int>();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'", connection);
        while (!stop.IsCancellationRequested)
        {
            await using (var reader = await command.ExecuteReaderAsync(CancellationToken.None))
            {
                while (await reader.ReadAsync(CancellationToken.None))
                {
                    seen.Add(reader.GetInt32(0));
                }
            }
            try
            {
                await Task.Delay(10, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return seen.Count;
    }
}
