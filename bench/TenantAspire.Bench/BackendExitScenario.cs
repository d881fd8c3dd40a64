using System.Diagnostics;
using Npgsql;

namespace TenantAspire.Bench;

/// <summary>
/// How long a Postgres backend stays visible in pg_stat_activity after its client closed the connection (the time its process
/// takes to exit). The connection registry keeps a closed connection's budget slot taken for <c>CloseGrace</c> so that
/// Postgres never sees more than the budget; this measures what that grace must cover, idle and with connects running alongside.
/// </summary>
public static class BackendExitScenario
{
    public static async Task RunAsync(int samples)
    {
        await using var stack = await Stack.StartAsync([], _ => { });
        var closing = new NpgsqlConnectionStringBuilder(stack.Server) { Database = "postgres", Pooling = false, ApplicationName = "bench-exit" }.ConnectionString;
        await using var watcher = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(stack.Server) { Database = "postgres", Pooling = false }.ConnectionString);
        await watcher.OpenAsync();

        Console.WriteLine("| load | n | p50 ms | p99 ms | max ms |");
        Console.WriteLine("|---|---|---|---|---|");
        Print("idle", await MeasureAsync(closing, watcher, samples));
        using var stop = new CancellationTokenSource();
        var background = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var c = new NpgsqlConnection(closing);
                await c.OpenAsync();
            }
        })).ToArray();
        Print("4 connect loops alongside", await MeasureAsync(closing, watcher, samples));
        await stop.CancelAsync();
        await Task.WhenAll(background);
    }

    private static async Task<List<double>> MeasureAsync(string closing, NpgsqlConnection watcher, int samples)
    {
        var lags = new List<double>();
        await using var probe = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", watcher);
        var pid = new NpgsqlParameter<int>();
        probe.Parameters.Add(pid);
        for (var i = 0; i < samples; i++)
        {
            await using (var connection = new NpgsqlConnection(closing))
            {
                await connection.OpenAsync();
                pid.TypedValue = connection.ProcessID;
            }
            var closed = Stopwatch.GetTimestamp();
            while ((long)(await probe.ExecuteScalarAsync())! > 0)
            {
            }
            lags.Add(Stopwatch.GetElapsedTime(closed).TotalMilliseconds);
        }
        lags.Sort();
        return lags;
    }

    private static void Print(string load, List<double> lags) =>
        Console.WriteLine($"| {load} | {lags.Count} | {Stats.Percentile(lags, 50):F2} | {Stats.Percentile(lags, 99):F2} | {lags[^1]:F2} |");
}
