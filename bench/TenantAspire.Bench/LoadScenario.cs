using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Npgsql;

using TenantAspire.AppHost;

namespace TenantAspire.Bench;

/// <summary>
/// Request-path load in ONE run against one stack (max_connections=500): (a) direct Npgsql, no HTTP, no tenancy; (b) one tenant;
/// (c) 100 tenants round-robin on an API whose registry fits them all (budget 400, 4 per tenant); (d) Zipf(s=1) over all tenants
/// on a second API with budget B=40 (a tenant grows from 1 to 4 connections); (e) naive per-tenant pools (Npgsql defaults, one data source per tenant,
/// never dropped) for contrast; (f) a cold tenant's first request. Every request is GET /api/tenants/{slug}/users?pageSize=1.
/// </summary>
internal static class LoadScenario
{
    private const string Wide = "tenant-api";
    private const string Narrow = "tenant-api-2";
    internal const int NarrowBudget = 40;

    // These scenarios measure the connection registry; the per-tenant rate limit (200/s for a standard tenant by default) would
    // cap (b) before the registry does.
    internal static IResourceBuilder<ProjectResource> WithoutRateLimit(IResourceBuilder<ProjectResource> api) => api
        .WithEnvironment("RateLimits__Tiers__Standard__PermitsPerSecond", "1000000")
        .WithEnvironment("RateLimits__Tiers__Standard__Burst", "1000000");

    /// <summary>Another replica of the API (its own registry and caches) from this checkout, or from another checkout's build.</summary>
    internal static IResourceBuilder<ProjectResource> AddApi(IDistributedApplicationTestingBuilder builder, string name, string? projectPath = null) =>
        WithoutRateLimit(projectPath is null
                ? builder.AddProject<Projects.TenantApi>(name, launchProfileName: null)
                : builder.AddProject(name, projectPath, launchProfileName: null))
            .WithHttpEndpoint(name: "http")
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development")
            .WithEnvironment("Logging__LogLevel__Default", "Warning")
            .WithTenantApiBackends()
            .WithHttpHealthCheck("/health");

    /// <summary>
    /// (d)'s registry: B connections for 1000 tenants, one per tenant (a hot tenant's second connection would cost a distinct
    /// tenant its place; at (d)'s rates one connection keeps up with the hottest tenant), and a 15 % window (6; run 12 in
    /// docs/benchmarks.md compares the default 10 %).
    /// </summary>
    internal static IResourceBuilder<ProjectResource> WithNarrowRegistry(this IResourceBuilder<ProjectResource> api) => api
        .WithEnvironment("ConnectionRegistry__ConnectionBudget", NarrowBudget.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .WithEnvironment("ConnectionRegistry__ConnectionsPerTenant", "1")
        .WithEnvironment("ConnectionRegistry__AdmissionWindowPercent", "15");

    public static async Task RunAsync(int tenants, int seconds, int concurrency)
    {
        Console.WriteLine($"# load benchmark: {tenants} tenants, {seconds} s per scenario, {concurrency} concurrent clients, 2 cores shared with the stack");
        await using var stack = await Stack.StartAsync(["LocalInfrastructure:MaxConnections=500"], builder =>
        {
            var api = Stack.Project(builder, Wide);
            builder.CreateResourceBuilder(api)
                .WithEnvironment("ConnectionRegistry__ConnectionBudget", "400")
                .WithEnvironment("ConnectionRegistry__ConnectionsPerTenant", "4");
            WithoutRateLimit(builder.CreateResourceBuilder(api));
            AddApi(builder, Narrow).WithNarrowRegistry();
        });

        var slugs = Enumerable.Range(0, tenants).Select(i => $"load-{i:D5}").ToArray();
        var clock = Stopwatch.StartNew();
        await stack.CreateTenantsAsync(slugs);
        Console.WriteLine($"provisioned {tenants} tenants in {clock.Elapsed.TotalSeconds:F0} s");
        var dbNames = await DatabaseNamesAsync(stack, slugs);
        var connectRate = await MeasureConnectRateAsync(stack.Server, dbNames[slugs[0]]);
        Console.WriteLine($"physics: new SCRAM connection + close: {connectRate:F0} connects/s (4 concurrent)");
        Console.WriteLine();
        Console.WriteLine("| scenario | RPS | p50 ms | p99 ms | errors | peak backends | notes |");
        Console.WriteLine("|---|---|---|---|---|---|---|");

        var a = await RunAsync("(a) direct Npgsql, 1 db", seconds, concurrency, "bench-direct", stack.Server, await DirectAsync(stack.Server, dbNames[slugs[0]]));
        Print(a, "no HTTP, no tenancy: physics reference");

        using var wide = Client(stack, Wide);
        using var narrow = Client(stack, Narrow);
        var b = await RunAsync("(b) API, 1 tenant", seconds, concurrency, Wide, stack.Server, (_, _) => Get(wide, slugs[0]));
        Print(b, "");
        var hundred = slugs.Take(100).ToArray();
        foreach (var s in hundred)
        {
            await Get(wide, s); // warm all 100
        }
        var c = await RunAsync("(c) API, 100 tenants round-robin", seconds, concurrency, Wide, stack.Server, (w, i) => Get(wide, hundred[(w * 7919 + i) % hundred.Length]));
        Print(c, $"RPS {c.Rps / b.Rps:F2}× (b), p99 {c.P99 / b.P99:F2}× (b)");

        // A cold tenant's first request, measured alone: after (c)'s load has drained (1 s), one at a time, 200 of them so the
        // p99 is not just the single slowest sample.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var cold = slugs.Skip(100).Take(Math.Min(200, tenants - 100)).ToArray();
        var coldLatencies = new List<double>();
        foreach (var s in cold)
        {
            var t = Stopwatch.GetTimestamp();
            await Get(wide, s);
            coldLatencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        coldLatencies.Sort();
        // The same measurement on warm tenants ((c)'s, connections open): the floor this machine and pipeline add to any request.
        var warmLatencies = new List<double>();
        for (var i = 0; i < cold.Length; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await Get(wide, hundred[i % hundred.Length]);
            warmLatencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        warmLatencies.Sort();
        Console.WriteLine($"| (f) cold tenant first request | - | {Stats.Percentile(coldLatencies, 50):F1} | {Stats.Percentile(coldLatencies, 99):F1} | 0 | - | n={cold.Length}, sequential; warm tenants the same way: p50 {Stats.Percentile(warmLatencies, 50):F1}, p99 {Stats.Percentile(warmLatencies, 99):F1} |");

        var zipf = new Zipf(tenants, 1.0);
        // Steady state, like the ideal cache it is compared with: 5 s of the same traffic first (not measured), then the
        // connect rate right before the measured run (the box is shared; the first measurement can be minutes old).
        await RunAsync("(d) warm-up", 5, concurrency, Narrow, stack.Server, (w, i) => Get(narrow, slugs[zipf.Sample()]));
        var connectRateD = await MeasureConnectRateAsync(stack.Server, dbNames[slugs[0]]);
        var before = await SnapshotAsync(narrow);
        var d = await RunAsync($"(d) API, Zipf(1) over {tenants}, B={NarrowBudget}", seconds, concurrency, Narrow, stack.Server, (w, i) => Get(narrow, slugs[zipf.Sample()]));
        var after = await SnapshotAsync(narrow);
        double Delta(string counter) => after.GetProperty(counter).GetInt64() - before.GetProperty(counter).GetInt64();
        // Only a hit needs no new physical connection; grows, misses and transients (admission window) each open one.
        var hits = Delta("hits");
        var newConnections = Delta("grows") + Delta("misses") + Delta("transients");
        var hitRatio = hits / (hits + newConnections);
        var idealHit = zipf.TopShare(NarrowBudget);
        var bound = connectRateD / (1 - idealHit);
        Print(d, $"hit {hitRatio:P1} vs ideal {idealHit:P1} ({hitRatio / idealHit:F2}×); {newConnections / seconds:F0} new conn/s " +
                 $"({Delta("misses") / seconds:F0} admitted, {Delta("transients") / seconds:F0} window, {Delta("grows") / seconds:F0} grow); " +
                 $"connect rate {connectRateD:F0}/s → bound {bound:F0} RPS → {d.Rps / bound:F2}×");

        var pools = new ConcurrentDictionary<string, NpgsqlDataSource>();
        var e = await RunAsync($"(e) naive per-tenant pools, Zipf over {tenants}", seconds, concurrency, "bench-naive", stack.Server, async (w, i) =>
        {
            var db = dbNames[slugs[zipf.Sample()]];
            var source = pools.GetOrAdd(db, n => NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(stack.Server) { Database = n, ApplicationName = "bench-naive" }.ConnectionString));
            await QueryAsync(source);
            return 200;
        });
        Print(e, $"{pools.Count} pools opened, never dropped");
        foreach (var p in pools.Values)
        {
            await p.DisposeAsync();
        }
    }

    internal sealed record Result(string Label, double Rps, double P50, double P99, long Errors, long PeakBackends, string ErrorSample)
    {
        public long Requests { get; init; }
    }

    internal static void Print(Result r, string notes) =>
        Console.WriteLine($"| {r.Label} | {r.Rps:F0} | {r.P50:F2} | {r.P99:F2} | {r.Errors} | {r.PeakBackends} | {notes}{(r.Errors > 0 ? $" first error: {r.ErrorSample}" : "")} |");

    internal static async Task<Result> RunAsync(string label, int seconds, int concurrency, string applicationName, string server,
        Func<int, int, Task<int>> request)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        long peak = 0, errors = 0;
        string errorSample = "";
        var sampler = Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Pooling = false, ApplicationName = "bench-sampler" }.ConnectionString);
            await connection.OpenAsync();
            while (!stop.IsCancellationRequested)
            {
                await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = applicationName });
                peak = Math.Max(peak, (long)(await command.ExecuteScalarAsync())!);
                await Task.Delay(50);
            }
        });
        var latencies = new ConcurrentBag<List<double>>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = new List<double>(100_000);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var t = Stopwatch.GetTimestamp();
                try
                {
                    var status = await request(w, i);
                    if (status != 200)
                    {
                        Interlocked.Increment(ref errors);
                        errorSample = $"HTTP {status}";
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or HttpRequestException or InvalidOperationException or TimeoutException
                    or TenantAspire.Tenancy.Connections.ConnectionBudgetExhaustedException)
                {
                    Interlocked.Increment(ref errors);
                    errorSample = ex.Message.Split('\n')[0];
                }
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
            latencies.Add(mine);
        })));
        var elapsed = clock.Elapsed.TotalSeconds;
        await sampler;
        var all = latencies.SelectMany(l => l).ToList();
        all.Sort();
        return new Result(label, all.Count / elapsed, Stats.Percentile(all, 50), Stats.Percentile(all, 99), errors, peak, errorSample) { Requests = all.Count };
    }

    internal static HttpClient Client(Stack stack, string resource)
    {
        var http = stack.Admin(resource);
        return http;
    }

    internal static Task<int> Get(HttpClient http, string slug) => GetPath(http, $"/api/tenants/{slug}/users?pageSize=1");

    internal static async Task<int> GetPath(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead);
        return (int)response.StatusCode;
    }

    internal static async Task<Func<int, int, Task<int>>> DirectAsync(string server, string database)
    {
        var source = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server) { Database = database, ApplicationName = "bench-direct", MaxPoolSize = 32 }.ConnectionString);
        await QueryAsync(source);
        return async (_, _) => { await QueryAsync(source); return 200; };
    }

    // The same two statements the users endpoint runs.
    private static async Task QueryAsync(NpgsqlDataSource source)
    {
        await using var connection = await source.OpenConnectionAsync();
        await QueryAsync(connection);
    }

    internal static async Task QueryAsync(NpgsqlConnection connection)
    {
        await using (var count = new NpgsqlCommand("SELECT count(*)::int FROM users", connection))
        {
            await count.ExecuteScalarAsync();
        }
        await using var page = new NpgsqlCommand("SELECT id, email, name, created_at, updated_at FROM users ORDER BY email LIMIT 1", connection);
        await using var reader = await page.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
        }
    }

    internal static async Task<double> MeasureConnectRateAsync(string server, string database)
    {
        var cs = new NpgsqlConnectionStringBuilder(server) { Database = database, Pooling = false }.ConnectionString;
        var until = DateTime.UtcNow.AddSeconds(3);
        long count = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (DateTime.UtcNow < until)
            {
                await using var connection = new NpgsqlConnection(cs);
                await connection.OpenAsync();
                Interlocked.Increment(ref count);
            }
        })));
        return count / clock.Elapsed.TotalSeconds;
    }

    internal static async Task<Dictionary<string, string>> DatabaseNamesAsync(Stack stack, string[] slugs)
    {
        await using var connection = new NpgsqlConnection(stack.Catalog);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT slug, database_name FROM tenants WHERE slug = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = slugs });
        var names = new Dictionary<string, string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names[reader.GetString(0)] = reader.GetString(1);
        }
        return names;
    }

    internal static async Task<JsonElement> SnapshotAsync(HttpClient http) =>
        await http.GetFromJsonAsync<JsonElement>("/api/diagnostics/registry");

    /// <summary>Zipf(s) over ranks 0..n-1, sampled by inverse CDF.</summary>
    internal sealed class Zipf
    {
        private readonly double[] _cdf;

        public Zipf(int n, double s)
        {
            _cdf = new double[n];
            double sum = 0;
            for (var i = 0; i < n; i++)
            {
                sum += 1 / Math.Pow(i + 1, s);
                _cdf[i] = sum;
            }
            for (var i = 0; i < n; i++)
            {
                _cdf[i] /= sum;
            }
        }

        public int Sample()
        {
            var index = Array.BinarySearch(_cdf, Random.Shared.NextDouble());
            return Math.Min(index < 0 ? ~index : index, _cdf.Length - 1);
        }

        /// <summary>Hit ratio of an ideal frequency cache of size b: the b most popular ranks' share of requests.</summary>
        public double TopShare(int b) => _cdf[Math.Min(b, _cdf.Length) - 1];
    }
}
