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
/// <c>rollout N RPS</c>: N tenants at the first tenant migration rolled to the second (the tasks table) with the default rings,
/// while a request load reads those same tenants the whole time (8 clients paced to RPS in total, tenants drawn Zipf(1): a few
/// busy tenants and a long tail, as in the load benchmark); then N more tenants rolled the same way one at a time (parallelism 1,
/// the way ABP's migrator walks tenants) under the same load; then N more in parallel with no load at all (the mechanism's own
/// ceiling on this machine). One run, one stack.
/// </summary>
internal static class RolloutScenario
{
    private sealed record Outcome(
        string Label, int Tenants, double WallSeconds, double P50, double P99, long PeakApi, long PeakMigrators, long PeakTotal,
        long Requests, double LoadSeconds, long Errors, double RequestP99, string State);

    private const int Clients = 8;

    /// <param name="profileOnly">Only the rollout with no load, profiled (<c>rollout-profile</c>).</param>
    public static async Task RunAsync(int tenants, int rps, bool profileOnly = false)
    {
        Console.WriteLine($"# rollout benchmark: {tenants} tenants per rollout; load: {Clients} clients paced to {rps} requests/s in total, Zipf(1) over the rollout's tenants; 2 cores shared with the stack");
        await using var stack = await Stack.StartAsync(["LocalInfrastructure:MaxConnections=300"], builder =>
        {
            builder.CreateResourceBuilder(Stack.Project(builder, "provisioning-worker"))
                .WithEnvironment("Migrations__PinNewTenantsAt", TenantMigrations.Initial) // the fleet is built "at version N"
                .WithEnvironment("Migrations__AutoRollout", "false");
            LoadScenario.WithoutRateLimit(builder.CreateResourceBuilder(Stack.Project(builder, "tenant-api")));
        }, pgStatStatements: true);
        if (profileOnly)
        {
            Console.WriteLine(Row(await RolloutAsync(stack, "rp", tenants, rps: 0, parallelism: null, "parallel, no load")));
            return;
        }

        var parallel = await RolloutAsync(stack, "ra", tenants, rps, parallelism: null, "parallel (derived: max_connections / 20), under load");
        Console.WriteLine(Row(parallel));
        var serial = await RolloutAsync(stack, "rb", tenants, rps, parallelism: 1, "serial (one tenant at a time), under load");
        Console.WriteLine(Row(serial));
        var idle = await RolloutAsync(stack, "rc", tenants, rps: 0, parallelism: null, "parallel, no load");

        Console.WriteLine();
        Console.WriteLine("| rollout | tenants | wall s | tenants/s | per-tenant p50 ms | p99 ms | peak backends API / migrations / all | requests (rate) | request errors | request p99 ms | state |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        Console.WriteLine(Row(parallel));
        Console.WriteLine(Row(serial));
        Console.WriteLine(Row(idle));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"speed-up over serial, both under load: {serial.WallSeconds / parallel.WallSeconds:F1}x"));
    }

    private static string Row(Outcome o) => string.Create(CultureInfo.InvariantCulture,
        $"| {o.Label} | {o.Tenants} | {o.WallSeconds:F1} | {o.Tenants / o.WallSeconds:F1} | {o.P50:F1} | {o.P99:F1} | {o.PeakApi} / {o.PeakMigrators} / {o.PeakTotal} | {o.Requests} ({o.Requests / o.LoadSeconds:F0}/s) | {o.Errors} | {o.RequestP99:F1} | {o.State} |");

    private static async Task<Outcome> RolloutAsync(Stack stack, string prefix, int tenants, int rps, int? parallelism, string label)
    {
        var slugs = Enumerable.Range(0, tenants).Select(i => $"{prefix}-{i:D5}").ToArray();
        var clock = Stopwatch.StartNew();
        await stack.CreateTenantsAsync(slugs);
        Console.WriteLine($"{label}: provisioned {tenants} tenants at {TenantMigrations.Initial} in {clock.Elapsed.TotalSeconds:F0} s");
        // Creating a thousand databases leaves a checkpoint's worth of dirty files (its sync took 60-130 s here): flush it now, so
        // the rollout is not measured against the provisioning's fsyncs.
        clock.Restart();
        await using (var server = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(stack.Server) { CommandTimeout = 0 }.ConnectionString))
        {
            await server.OpenAsync();
            await using var checkpoint = new NpgsqlCommand("CHECKPOINT", server);
            await checkpoint.ExecuteNonQueryAsync();
        }
        Console.WriteLine($"{label}: CHECKPOINT after provisioning took {clock.Elapsed.TotalSeconds:F0} s");

        using var stop = new CancellationTokenSource();
        long requests = 0, errors = 0;
        var latencies = new ConcurrentBag<double>();
        using var http = stack.Admin();
        var zipf = new LoadScenario.Zipf(slugs.Length, 1.0);
        var interval = rps > 0 ? TimeSpan.FromSeconds((double)Clients / rps) : TimeSpan.Zero;
        var load = Task.WhenAll(Enumerable.Range(0, rps > 0 ? Clients : 0).Select(w => Task.Run(async () =>
        {
            var next = Stopwatch.GetTimestamp();
            while (!stop.IsCancellationRequested)
            {
                next += (long)(interval.TotalSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }
                var t = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.GetAsync($"/api/tenants/{slugs[zipf.Sample()]}/users?pageSize=1");
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
        var loadClock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(2)); // the load is warm before the rollout starts

        await using var profile = await RolloutProfile.StartAsync(stack);
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
        await profile.ReportAsync(label, rollout.GetProperty("tenants").GetInt32());
        await Task.Delay(TimeSpan.FromSeconds(1)); // requests right after the last tenant moved count too
        await stop.CancelAsync();
        await load;
        var loadSeconds = loadClock.Elapsed.TotalSeconds;
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
            peakApi, peakMigrators, peakTotal, requests, loadSeconds, errors, Stats.Percentile(requestLatencies, 99), rollout.GetProperty("state").GetString()!);
    }
}
