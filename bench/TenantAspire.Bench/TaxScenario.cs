using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Sql;
using Microsoft.Extensions.Logging;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;
using TenantAspire.TenantApi.Auth;
using TenantAspire.TenantApi.Tenants;

namespace TenantAspire.Bench;

/// <summary>
/// What tenancy costs per request, in ONE run against one stack:
/// 1. Over HTTP, in the same API process: the no-tenancy twin (<c>GET /api/baseline/users</c>: same pipeline, JWT, policy, EF Core
///    query and JSON, one ordinary pool of a tenant's size on one database) against (b) one tenant with the same number of
///    connections and (c) 100 tenants, interleaved in rounds; plus the API's CPU per request from its own process counters.
/// 2. Each tenancy step timed alone, in the real API hosted in this process: route lookup, the resolution filter, the registry's
///    open/close against a plain pool's, and the whole request over in-memory HTTP (no sockets) against the twin's.
/// 3. Cold requests (an awake tenant this API never served) against warm ones and a bare SCRAM connect, in the same run.
/// 4. Memory per cached route and per idle data source, from a replica with the registry's idle defaults.
/// </summary>
internal static class TaxScenario
{
    private const string Api = "tenant-api";
    private const string MemoryApi = "tenant-api-mem";
    private const string BaselineDatabase = "bench_baseline";
    private const int PerTenant = 4;

    /// <param name="stepsOnly">Only part 2, <paramref name="rounds"/> times (for a profiler attached to this process).</param>
    /// <param name="memoryOnly">Only part 4.</param>
    public static async Task RunAsync(int seconds, int concurrency, int rounds, int memoryTenants, bool stepsOnly = false, bool memoryOnly = false)
    {
        Console.WriteLine($"# tenancy tax: {seconds} s per run, {concurrency} clients, {rounds} rounds; memory over {memoryTenants} tenants; 2 cores shared with the stack");
        // One replica of tenant-api, so every request of a run meets the same process (whose CPU is read); max_connections
        // 1000: the two APIs' shares ((1000 - 100 reserved) / 2 replicas) hold the budgets below.
        await using var stack = await Stack.StartAsync(["LocalInfrastructure:MaxConnections=1000", "TenantApi:Replicas=1"], builder =>
        {
            var postgres = builder.Resources.OfType<IResourceWithConnectionString>().Single(r => r.Name == "postgres");
            LoadScenario.WithoutRateLimit(builder.CreateResourceBuilder(Stack.Project(builder, Api)))
                .WithEnvironment("ConnectionRegistry__ConnectionBudget", "400")
                .WithEnvironment("ConnectionRegistry__ConnectionsPerTenant", PerTenant.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .WithEnvironment("Baseline__ConnectionString", ReferenceExpression.Create($"{postgres.ConnectionStringExpression};Database={BaselineDatabase}"));
            LoadScenario.AddApi(builder, MemoryApi)
                .WithEnvironment("ConnectionRegistry__ConnectionBudget", "450")
                .WithEnvironment("ConnectionRegistry__ConnectionsPerTenant", "1");
        });

        var tenants = stepsOnly ? 1 : Math.Max(500, memoryTenants);
        var slugs = Enumerable.Range(0, tenants).Select(i => $"tax-{i:D5}").ToArray();
        var clock = Stopwatch.StartNew();
        await stack.CreateTenantsAsync(slugs);
        Console.WriteLine($"provisioned {tenants} tenants in {clock.Elapsed.TotalSeconds:F0} s");
        var dbNames = await LoadScenario.DatabaseNamesAsync(stack, slugs);
        await TenantData.SeedAsync(stack, slugs[0], 20);
        await CloneAsync(stack.Server, dbNames[slugs[0]], BaselineDatabase); // the twin reads the same rows

        if (stepsOnly)
        {
            // For a profiler attached to this process (docs/benchmarks.md): the steps again and again.
            for (var i = 0; i < rounds; i++)
            {
                await StepsAsync(stack, slugs[0], dbNames[slugs[0]]);
            }
            return;
        }
        using var http = LoadScenario.Client(stack, Api);
        if (!memoryOnly)
        {
            await HttpTaxAsync(stack, http, slugs, seconds, concurrency, rounds);
            await StepsAsync(stack, slugs[0], dbNames[slugs[0]]);
            await ColdAsync(stack, http, slugs, dbNames);
        }
        using var memory = LoadScenario.Client(stack, MemoryApi);
        await MemoryAsync(memory, slugs.Take(memoryTenants).ToArray(), slugs.Take(Math.Min(400, memoryTenants)).ToArray(), stack.Server);
    }

    private static async Task HttpTaxAsync(Stack stack, HttpClient http, string[] slugs, int seconds, int concurrency, int rounds)
    {
        var hundred = slugs.Take(100).ToArray();
        await LoadScenario.GetPath(http, "/api/baseline/users?pageSize=1");
        foreach (var s in hundred)
        {
            await LoadScenario.Get(http, s);
        }
        Console.WriteLine();
        Console.WriteLine($"## 1. Over HTTP: the twin vs tenancy, same API process, {PerTenant} connections each (32 clients)");
        Console.WriteLine("| run | RPS | p50 ms | p99 ms | errors | API CPU µs/request |");
        Console.WriteLine("|---|---|---|---|---|---|");
        var runs = new Dictionary<string, List<(LoadScenario.Result Result, double Cpu)>>();
        (string Label, Func<int, int, Task<int>> Request)[] kinds =
        [
            ("baseline (no tenancy)", (_, _) => LoadScenario.GetPath(http, "/api/baseline/users?pageSize=1")),
            ("(b) 1 tenant", (_, _) => LoadScenario.Get(http, slugs[0])),
            ("(c) 100 tenants round-robin", (w, i) => LoadScenario.Get(http, hundred[(w * 7919 + i) % hundred.Length])),
        ];
        foreach (var (label, request) in kinds)
        {
            await LoadScenario.RunAsync("warm-up", 5, concurrency, Api, stack.Server, request); // JIT, pools, and the worker's post-provisioning work
        }
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var (label, request) in kinds)
            {
                var before = await ProcessAsync(http, collect: false);
                var result = await LoadScenario.RunAsync(label, seconds, concurrency, Api, stack.Server, request);
                var after = await ProcessAsync(http, collect: false);
                var cpu = (after.GetProperty("cpuMilliseconds").GetDouble() - before.GetProperty("cpuMilliseconds").GetDouble()) * 1000 / result.Requests;
                runs.TryAdd(label, []);
                runs[label].Add((result, cpu));
                Console.WriteLine($"| {label}, round {round} | {result.Rps:F0} | {result.P50:F2} | {result.P99:F2} | {result.Errors} | {cpu:F0} |");
            }
        }
        var baseline = Mean(runs[kinds[0].Label]);
        foreach (var (label, _) in kinds.Skip(1))
        {
            var m = Mean(runs[label]);
            Console.WriteLine($"{label}: RPS {m.Rps / baseline.Rps:F2}× baseline (goal ≥ 0.9), p99 {m.P99 / baseline.P99:F2}× (goal ≤ 1.2), " +
                              $"CPU +{m.Cpu - baseline.Cpu:F0} µs/request ({m.Cpu / baseline.Cpu:F2}×)");
        }
    }

    private static (double Rps, double P99, double Cpu) Mean(List<(LoadScenario.Result Result, double Cpu)> runs) =>
        (runs.Average(r => r.Result.Rps), runs.Average(r => r.Result.P99), runs.Average(r => r.Cpu));

    /// <summary>Each tenancy step alone, in the real API hosted in this process (the same services a request uses).</summary>
    private static async Task StepsAsync(Stack stack, string slug, string database)
    {
        var baselineConnection = new NpgsqlConnectionStringBuilder(stack.Server) { Database = BaselineDatabase, MaxPoolSize = PerTenant }.ConnectionString;
        await using var api = await InProcessApi.StartAsync(stack, "bench-inproc",
            ("ConnectionRegistry:ConnectionsPerTenant", PerTenant.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Baseline:ConnectionString", baselineConnection));
        var services = api.Services;
        var routes = services.GetRequiredService<TenantRouteCache>();
        var registry = services.GetRequiredService<TenantConnectionRegistry>();
        var route = await routes.GetAsync(slug) ?? throw new InvalidOperationException($"no route for {slug}");
        await using var plain = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(stack.Server) { Database = database, MaxPoolSize = PerTenant }.ConnectionString);
        var admin = new ClaimsPrincipal(new ClaimsIdentity([new Claim(TenantClaims.Role, TenantClaims.PlatformAdmin)], "bench", TenantClaims.Role, TenantClaims.Role));
        static ValueTask<object?> Next(EndpointFilterInvocationContext _) => ValueTask.FromResult<object?>(null);

        // What the filter gets from a request: its scope, the authenticated user and the route's slug (timed alone and subtracted).
        (AsyncServiceScope Scope, DefaultEndpointFilterInvocationContext Context) Request()
        {
            var scope = services.CreateAsyncScope();
            var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider, User = admin };
            context.Request.RouteValues["slug"] = slug;
            return (scope, new DefaultEndpointFilterInvocationContext(context));
        }

        var scopeOnly = await TimeAsync(async () => await Request().Scope.DisposeAsync());
        var filterRun = await TimeAsync(async () =>
        {
            // As ASP.NET Core runs the group's filters: both activated from the request's services, resolution then rate limit.
            var (scope, context) = Request();
            var rateLimit = ActivatorUtilities.CreateInstance<TenantRateLimitFilter>(scope.ServiceProvider);
            await ActivatorUtilities.CreateInstance<TenantResolutionFilter>(scope.ServiceProvider).InvokeAsync(context, c => rateLimit.InvokeAsync(c, Next));
            await scope.DisposeAsync();
        });
        var routeHit = await TimeAsync(async () => await routes.GetAsync(slug));
        // The filters' other steps, one by one (each is a line of TenantResolutionFilter or TenantRateLimitFilter).
        var limiter = services.GetRequiredService<TenantRateLimiter>();
        var tags = services.GetRequiredService<TenantTagLimiter>();
        var logger = services.GetRequiredService<ILogger<TenantResolutionFilter>>();
        var parts = new (string Step, double Micros)[]
        {
            ("slug validation", await TimeAsync(() => Task.FromResult(TenantSlug.Validate(slug)))),
            ("token guard (slug, then instance)", await TimeAsync(() => Task.FromResult((TenantAccessGuard.CheckSlug(admin, slug), TenantAccessGuard.CheckInstance(admin, route))))),
            ("span baggage (enter, forget)", await TimeAsync(() => { TenantTelemetry.Enter(slug); TenantTelemetry.ForgetUntrusted(); return Task.CompletedTask; })),
            ("metric tag", await TimeAsync(() => Task.FromResult(tags.TagFor(slug)))),
            ("rate limiter", await TimeAsync(() => Task.FromResult(limiter.TryAcquire(route)))),
            ("log scope (tenant.id)", await TimeAsync(() =>
            {
                logger.BeginScope(new Dictionary<string, object?> { [TenantTelemetry.TenantIdKey] = slug })?.Dispose();
                return Task.CompletedTask;
            })),
        };
        var registryOpen = await TimeAsync(async () => { await using var lease = await registry.OpenAsync(route, CancellationToken.None); });
        // What a tenant whose data source expired pays on top of a connect: building its data source (no connection opened).
        var dataSources = services.GetRequiredService<TenantDataSources>();
        var dataSourceBuild = await TimeAsync(async () => await dataSources.Pooled(route).DisposeAsync(), calls: 5000);
        var plainOpen = await TimeAsync(async () => { await using var connection = await plain.OpenConnectionAsync(); });

        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", DevTokenIssuer.Mint(stack.SigningKey, null, [TenantClaims.PlatformAdmin], TimeSpan.FromHours(1)));
        var twin = await TimeAsync(async () => await LoadScenario.GetPath(client, "/api/baseline/users?pageSize=1"), calls: 3000);
        var tenant = await TimeAsync(async () => await LoadScenario.GetPath(client, $"/api/tenants/{slug}/users?pageSize=1"), calls: 3000);

        Console.WriteLine();
        Console.WriteLine("## 2. Each tenancy step alone (real services, in-process, one caller; median of 5 batches, µs per call)");
        Console.WriteLine("| step | µs |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| route lookup (L1 hit) | {routeHit:F2} |");
        foreach (var (step, micros) in parts)
        {
            Console.WriteLine($"| {step} | {micros:F2} |");
        }
        Console.WriteLine($"| edge filters, whole (slug, guard, lookup, state gate, context, log scope; rate limiter) | {filterRun - scopeOnly:F2} |");
        Console.WriteLine($"| registry open + close (pool hit) | {registryOpen:F2} |");
        Console.WriteLine($"| plain Npgsql pool open + close (the twin's) | {plainOpen:F2} |");
        Console.WriteLine($"| a tenant data source built and disposed, no connection (an expired tenant's extra cost) | {dataSourceBuild:F2} |");
        Console.WriteLine($"| whole request, in-memory HTTP: twin | {twin:F1} |");
        Console.WriteLine($"| whole request, in-memory HTTP: tenant | {tenant:F1} |");
        Console.WriteLine($"tenancy per request: {tenant - twin:F1} µs in all; of it filter {filterRun - scopeOnly:F1}, registry over a plain pool {registryOpen - plainOpen:F1}, " +
                          $"the rest (second route form, tenant DI scope, metric tags, span baggage) {tenant - twin - (filterRun - scopeOnly) - (registryOpen - plainOpen):F1}");
    }

    /// <summary>Median over 5 batches of the µs per call (after a warm-up batch): one caller, so it is the step's own cost.</summary>
    internal static async Task<double> TimeAsync(Func<Task> call, int calls = 20_000)
    {
        for (var i = 0; i < Math.Min(calls, 1000); i++)
        {
            await call();
        }
        var batches = new List<double>();
        for (var b = 0; b < 5; b++)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < calls / 5; i++)
            {
                await call();
            }
            batches.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / (calls / 5));
        }
        batches.Sort();
        return batches[2];
    }

    /// <summary>
    /// Cold: the first request of tenants this API never served (awake, no data source, no cached route); a bare SCRAM connect to
    /// OTHER never-touched tenant databases (so neither warms the other's); warm: (c)'s tenants. One at a time, in one run.
    /// </summary>
    private static async Task ColdAsync(Stack stack, HttpClient http, string[] slugs, Dictionary<string, string> dbNames)
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        var cold = new List<double>();
        var bare = new List<double>();
        var warm = new List<double>();
        var coldSlugs = slugs.Skip(100).Take(200).ToArray();
        var bareSlugs = slugs.Skip(300).Take(200).ToArray();
        for (var i = 0; i < coldSlugs.Length; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await LoadScenario.Get(http, coldSlugs[i]);
            cold.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);

            t = Stopwatch.GetTimestamp();
            await LoadScenario.Get(http, slugs[i % 100]);
            warm.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);

            t = Stopwatch.GetTimestamp();
            await using (var connection = new NpgsqlConnection(TenantData.Db(stack.Server, dbNames[bareSlugs[i % bareSlugs.Length]])))
            {
                await connection.OpenAsync();
            }
            bare.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        cold.Sort();
        warm.Sort();
        bare.Sort();
        double P(List<double> l, int p) => Stats.Percentile(l, p);
        Console.WriteLine();
        Console.WriteLine($"## 3. Cold requests (n={cold.Count} each, sequential, interleaved)");
        Console.WriteLine("| | p50 ms | p99 ms |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| cold tenant, first request | {P(cold, 50):F2} | {P(cold, 99):F2} |");
        Console.WriteLine($"| warm tenant | {P(warm, 50):F2} | {P(warm, 99):F2} |");
        Console.WriteLine($"| bare SCRAM connect + close, never-touched database | {P(bare, 50):F2} | {P(bare, 99):F2} |");
        Console.WriteLine($"goal: cold p99 {P(cold, 99):F2} ≤ warm p99 + connect p99 = {P(warm, 99) + P(bare, 99):F2} → {(P(cold, 99) <= P(warm, 99) + P(bare, 99) ? "met" : "NOT met")}");
    }

    /// <summary>
    /// Managed heap and RSS per resolved tenant and per idle data source, after full collections: first a request for each of
    /// <paramref name="resolved"/> that the endpoint refuses before it takes a connection (pageSize=0: the tenant is resolved, its
    /// route cached, no data source), then a reading request for each of <paramref name="pooled"/> (a data source with one
    /// connection, then idle; fewer than the replica's main region holds), then once every data source passed the registry's
    /// idle timeout (the replica runs the defaults: what is left per tenant is an idle tenant's cost, and a leak would show
    /// there). Then what that costs the next request, side by side: a tenant whose connection was pruned but whose data source
    /// lives (one connect), one whose data source expired (a new data source and a connect), the warm request after each, and a
    /// bare SCRAM connect to the same server.
    /// </summary>
    private static async Task MemoryAsync(HttpClient http, string[] resolved, string[] pooled, string server)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 8 };
        var empty = await ProcessAsync(http, collect: true);
        await Parallel.ForEachAsync(resolved, parallel, async (slug, _) => await LoadScenario.GetPath(http, $"/api/tenants/{slug}/users?pageSize=0"));
        var routes = await ProcessAsync(http, collect: true);
        await Parallel.ForEachAsync(pooled, parallel, async (slug, _) => await LoadScenario.Get(http, slug));
        var full = await ProcessAsync(http, collect: true);
        var live = full.GetProperty("liveDataSources").GetInt32();
        var expired = await AllExpiredAsync(http);

        var bareConnection = new NpgsqlConnectionStringBuilder(server) { Pooling = false }.ConnectionString;
        var afterExpiry = await NextRequestAsync(http, pooled.Take(100), bareConnection);
        // Pruned, not expired: read 50 tenants, wait past the connection's idle lifetime (15 s, pruned every 5 s) and within the
        // data source's idle timeout (30 s, swept every 5 s); 50 requests fit in the 9 s left on this machine.
        var prunedSlugs = pooled.Skip(100).Take(50).ToArray();
        await Parallel.ForEachAsync(prunedSlugs, parallel, async (slug, _) => await LoadScenario.Get(http, slug));
        await Task.Delay(TimeSpan.FromSeconds(21));
        var afterPruning = await NextRequestAsync(http, prunedSlugs, bareConnection);

        double Kb(JsonElement a, JsonElement b, string p, int n) => (a.GetProperty(p).GetInt64() - b.GetProperty(p).GetInt64()) / 1024.0 / n;
        var route = Kb(routes, empty, "managedHeapBytes", resolved.Length);
        var left = Kb(expired, routes, "managedHeapBytes", pooled.Length);
        Console.WriteLine();
        Console.WriteLine($"## 4. Memory ({resolved.Length} tenants resolved, {pooled.Length} of them read: {live} data sources live, 0 once expired)");
        Console.WriteLine("| per tenant | managed heap KB | RSS KB |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| resolved tenant: cached route, rate-limit bucket, metric tag | {route:F1} | {Kb(routes, empty, "workingSetBytes", resolved.Length):F1} |");
        Console.WriteLine($"| idle data source (its pool, one open connection) | {Kb(full, routes, "managedHeapBytes", live):F1} | {Kb(full, routes, "workingSetBytes", live):F1} |");
        Console.WriteLine($"| left per tenant once its data source expired (a leak would show here) | {left:F1} | {Kb(expired, routes, "workingSetBytes", pooled.Length):F1} |");
        Console.WriteLine($"idle tenant, goal ≤ 50 KB: {route + Kb(full, routes, "managedHeapBytes", live):F1} KB managed while its data source lives, {route + left:F1} KB once it expired");
        Console.WriteLine();
        Console.WriteLine("| the next request of a tenant | n | p50 ms | p99 ms |");
        Console.WriteLine("|---|---|---|---|");
        afterExpiry.Print("data source expired (new data source + connect)");
        afterPruning.Print("connection pruned, data source live (connect)");
        Console.WriteLine($"goal: cold p99 after expiry {afterExpiry.Cold(99):F2} ≤ warm p99 + connect p99 = {afterExpiry.Warm(99) + afterExpiry.Bare(99):F2} → "
                          + (afterExpiry.Cold(99) <= afterExpiry.Warm(99) + afterExpiry.Bare(99) ? "met" : "NOT met"));
        Console.WriteLine($"tenant metric values in this replica after {resolved.Length} tenants: {expired.GetProperty("tenantTagValues").GetInt32()} (cap: Telemetry:MaxTenantTagValues; every other tenant is 'other')");
    }

    /// <summary>The process once the registry disposed every idle data source (its defaults: 30 s, swept every 5 s).</summary>
    private static async Task<JsonElement> AllExpiredAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while ((await ProcessAsync(http, collect: false)).GetProperty("liveDataSources").GetInt32() > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(1000);
        }
        return await ProcessAsync(http, collect: true);
    }

    /// <summary>Each tenant's next request (cold), at once its second (warm), then a bare SCRAM connect; one after the other.</summary>
    private static async Task<NextRequest> NextRequestAsync(HttpClient http, IEnumerable<string> slugs, string bareConnection)
    {
        var result = new NextRequest([], [], []);
        foreach (var slug in slugs)
        {
            var clock = Stopwatch.StartNew();
            await LoadScenario.Get(http, slug);
            result.ColdMs.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            await LoadScenario.Get(http, slug);
            result.WarmMs.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            await using (var connection = new NpgsqlConnection(bareConnection))
            {
                await connection.OpenAsync();
            }
            result.BareMs.Add(clock.Elapsed.TotalMilliseconds);
        }
        result.ColdMs.Sort();
        result.WarmMs.Sort();
        result.BareMs.Sort();
        return result;
    }

    private sealed record NextRequest(List<double> ColdMs, List<double> WarmMs, List<double> BareMs)
    {
        public double Cold(int p) => Stats.Percentile(ColdMs, p);
        public double Warm(int p) => Stats.Percentile(WarmMs, p);
        public double Bare(int p) => Stats.Percentile(BareMs, p);

        public void Print(string what)
        {
            Console.WriteLine($"| {what}: cold | {ColdMs.Count} | {Cold(50):F2} | {Cold(99):F2} |");
            Console.WriteLine($"| same tenant again at once: warm | {WarmMs.Count} | {Warm(50):F2} | {Warm(99):F2} |");
            Console.WriteLine($"| bare SCRAM connect to the same server | {BareMs.Count} | {Bare(50):F2} | {Bare(99):F2} |");
        }
    }

    internal static async Task<JsonElement> ProcessAsync(HttpClient http, bool collect) =>
        await http.GetFromJsonAsync<JsonElement>($"/api/diagnostics/process?collect={(collect ? "true" : "false")}");

    /// <summary>A copy of a tenant database (superuser), retried while something still holds the source open.</summary>
    private static async Task CloneAsync(string server, string source, string target)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {SqlIdentifier.Quote(target)} TEMPLATE {SqlIdentifier.Quote(source)}", connection);
                await create.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 50)
            {
                await Task.Delay(200);
            }
        }
    }
}
