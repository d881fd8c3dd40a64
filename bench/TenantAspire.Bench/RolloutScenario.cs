using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Npgsql;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.Bench;

/// <summary>
/// <c>rollout N</c>: N tenants at the first tenant migration rolled to the second (the tasks table) with the default rings, while
/// a request load reads those same tenants the whole time; then N more tenants rolled the same way one at a time (parallelism 1,
/// the way ABP's migrator walks tenants), under the same load, in the same run.
/// </summary>
internal static class RolloutScenario
{
    private sealed record Outcome(
        string Label, int Tenants, double WallSeconds, double P50, double P99, long PeakApi, long PeakMigrators, long PeakTotal,
        long Requests, long Errors, double RequestP99, string State);

    public static async Task RunAsync(int tenants, int concurrency)
    {
        Console.WriteLine($"# rollout benchmark: {tenants} tenants per rollout, {concurrency} concurrent readers on them, 2 cores shared with the stack");
        await using var stack = await Stack.StartAsync(["LocalInfrastructure:MaxConnections=300"], builder =>
        {
            builder.CreateResourceBuilder(Stack.Project(builder, "provisioning-worker"))
                .WithEnvironment("Migrations__PinNewTenantsAt", TenantMigrations.Initial) // the fleet is built "at version N"
                .WithEnvironment("Migrations__AutoRollout", "false");
            LoadScenario.WithoutRateLimit(builder.CreateResourceBuilder(Stack.Project(builder, "tenant-api")));
        });

        var parallel = await RolloutAsync(stack, "ra", tenants, concurrency, parallelism: null, "parallel (derived: max_connections / 20)");
        var serial = await RolloutAsync(stack, "rb", tenants, concurrency, parallelism: 1, "serial (one tenant at a time)");

        Console.WriteLine();
        Console.WriteLine("| rollout | tenants | wall s | tenants/s | per-tenant p50 ms | p99 ms | peak backends API / migrations / all | requests | request errors | request p99 ms | state |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var o in new[] { parallel, serial })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {o.Label} | {o.Tenants} | {o.WallSeconds:F1} | {o.Tenants / o.WallSeconds:F1} | {o.P50:F1} | {o.P99:F1} | {o.PeakApi} / {o.PeakMigrators} / {o.PeakTotal} | {o.Requests} | {o.Errors} | {o.RequestP99:F1} | {o.State} |"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"speed-up over serial: {serial.WallSeconds / parallel.WallSeconds:F1}x"));
    }

    private static async Task<Outcome> RolloutAsync(Stack stack, string prefix, int tenants, int concurrency, int? parallelism, string label)
    {
        var slugs = Enumerable.Range(0, tenants).Select(i => $"{prefix}-{i:D5}").ToArray();
        var clock = Stopwatch.StartNew();
        await stack.CreateTenantsAsync(slugs);
        Console.WriteLine($"{label}: provisioned {tenants} tenants at {TenantMigrations.Initial} in {clock.Elapsed.TotalSeconds:F0} s");

        using var stop = new CancellationTokenSource();
        long requests = 0, errors = 0;
        var latencies = new ConcurrentBag<double>();
        using var http = stack.Admin();
        var load = Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            while (!stop.IsCancellationRequested)
            {
                var t = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.GetAsync($"/api/tenants/{slugs[random.Next(slugs.Length)]}/users?pageSize=1");
                    if ((int)response.StatusCode != 200)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }
                Interlocked.Increment(ref requests);
                latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        })));
        long peakApi = 0, peakMigrators = 0, peakTotal = 0;
        var sampler = Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(stack.Server) { Pooling = false, ApplicationName = "bench-sampler" }.ConnectionString);
            await connection.OpenAsync();
            while (!stop.IsCancellationRequested)
            {
                await using var command = new NpgsqlCommand("""
                    SELECT count(*) FILTER (WHERE application_name = 'tenant-api'), count(*) FILTER (WHERE application_name = 'tenant-migrator'),
                           count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'
                    """, connection);
                await using var reader = await command.ExecuteReaderAsync();
                await reader.ReadAsync();
                peakApi = Math.Max(peakApi, reader.GetInt64(0));
                peakMigrators = Math.Max(peakMigrators, reader.GetInt64(1));
                peakTotal = Math.Max(peakTotal, reader.GetInt64(2));
                await reader.DisposeAsync();
                await Task.Delay(50);
            }
        });
        await Task.Delay(TimeSpan.FromSeconds(2)); // the load is warm before the rollout starts

        using var started = await http.PostAsJsonAsync("/api/rollouts", parallelism is null ? new { } : (object)new { parallelism });
        started.EnsureSuccessStatusCode();
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        JsonElement rollout;
        do
        {
            await Task.Delay(100);
            rollout = await http.GetFromJsonAsync<JsonElement>($"/api/rollouts/{id}");
        }
        while (rollout.GetProperty("state").GetString() == "running");
        await Task.Delay(TimeSpan.FromSeconds(1)); // requests right after the last tenant moved count too
        await stop.CancelAsync();
        await load;
        await sampler;

        var wall = (rollout.GetProperty("completedAt").GetDateTimeOffset() - rollout.GetProperty("createdAt").GetDateTimeOffset()).TotalSeconds;
        var durations = new List<double>();
        await using (var catalog = new NpgsqlConnection(stack.Catalog))
        {
            await catalog.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT duration_ms FROM schema_rollout_tenants WHERE rollout_id = $1 AND duration_ms IS NOT NULL", catalog);
            command.Parameters.Add(new NpgsqlParameter { Value = Guid.Parse(id!) });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                durations.Add(reader.GetDouble(0));
            }
        }
        durations.Sort();
        var requestLatencies = latencies.ToList();
        requestLatencies.Sort();
        Console.WriteLine($"{label}: {rollout}");
        return new(label, rollout.GetProperty("tenants").GetInt32(), wall, Stats.Percentile(durations, 50), Stats.Percentile(durations, 99),
            peakApi, peakMigrators, peakTotal, requests, errors, Stats.Percentile(requestLatencies, 99), rollout.GetProperty("state").GetString()!);
    }
}
