using System.Diagnostics;
using Npgsql;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.Bench;

/// <summary>
/// What the worker's one-off session inside a database costs, the two ways side by side in one run (issue 25; the worker visits
/// every tenant database this way: provisioning, backup passes, migrations, spares): <c>new NpgsqlConnection(string)</c>, where
/// each new connection string makes Npgsql load the database's types and keep a data source for the life of the process,
/// against a data source of its own without type loading, disposed after use (the worker's <c>DatabaseSession</c>). N plain
/// databases, one open + <c>SELECT 1</c> + close in each; time per session, and this process's managed heap after a full
/// collection, before and after each way.
/// </summary>
internal static class SessionScenario
{
    public static async Task RunAsync(int databases)
    {
        Console.WriteLine($"# one-off sessions in {databases} databases, the two ways; 2 cores shared with the stack");
        await using var stack = await Stack.StartAsync([], _ => { });
        var names = Enumerable.Range(0, databases).Select(i => $"bench_session_{i:D5}").ToArray();
        await using (var admin = new NpgsqlConnection(stack.Server))
        {
            await admin.OpenAsync();
            foreach (var name in names)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {SqlIdentifier.Quote(name)}", admin);
                await create.ExecuteNonQueryAsync();
            }
        }
        string ConnectionString(string database) => new NpgsqlConnectionStringBuilder(stack.Server) { Database = database, Pooling = false }.ConnectionString;

        // Half the databases each way, then the other half each way (so neither way always meets the databases first).
        var half = databases / 2;
        var rows = new List<string>();
        foreach (var (first, second) in new[] { (names[..half], names[half..]), (names[half..], names[..half]) })
        {
            rows.Add(await MeasureAsync("new NpgsqlConnection(connection string)", first, async name =>
            {
                await using var connection = new NpgsqlConnection(ConnectionString(name));
                await connection.OpenAsync();
                await SelectOneAsync(connection);
            }));
            rows.Add(await MeasureAsync("a data source of its own, no type loading, disposed", second, async name =>
            {
                var builder = new NpgsqlDataSourceBuilder(ConnectionString(name));
                builder.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
                await using var source = builder.Build();
                await using var connection = await source.OpenConnectionAsync();
                await SelectOneAsync(connection);
            }));
        }
        Console.WriteLine("| way | databases | ms per session p50 | p99 | managed heap left per database, KB |");
        Console.WriteLine("|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
    }

    private static async Task<string> MeasureAsync(string label, string[] databases, Func<string, Task> session)
    {
        var before = Heap();
        var times = new List<double>();
        foreach (var name in databases)
        {
            var clock = Stopwatch.StartNew();
            await session(name);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        var kb = (Heap() - before) / 1024.0 / databases.Length;
        return $"| {label} | {databases.Length} | {Stats.Percentile(times, 50):F2} | {Stats.Percentile(times, 99):F2} | {kb:F1} |";
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static async Task SelectOneAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync();
    }
}
