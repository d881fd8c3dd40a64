using Aspire.Hosting;
using System.Diagnostics;
using System.Net.Http.Json;
using Npgsql;

namespace TenantAspire.Bench;

/// <summary>
/// N tenants (5,000) on ONE server, the long tail asleep, in one run: the provisioning rate over the whole run (per tenth, to see
/// whether it holds), 95 % hibernated by the monitor while 5 % keep being used, then at rest: admin list and lookup latency,
/// Postgres backends and memory, disk per tenant, the cost of a hibernation-monitor pass and a size-collector pass, and the
/// first request of a sleeping tenant through its wake.
/// </summary>
internal static class FleetScenario
{
    private static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PacingInterval = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    /// <param name="apiBudget">The API's <c>ConnectionRegistry:ConnectionBudget</c> per server (0: its default).</param>
    public static async Task RunAsync(int tenants, int samples, int apiBudget)
    {
        Console.WriteLine($"# fleet: {tenants} tenants on one server, 95 % hibernated; {samples} samples per latency; " +
                          $"API connection budget {(apiBudget > 0 ? apiBudget.ToString(System.Globalization.CultureInfo.InvariantCulture) : "default")}; 2 cores");
        await using var stack = await Stack.StartAsync(["LocalInfrastructure:MaxConnections=500", "TenantApi:Replicas=1"], b =>
        {
            b.CreateResourceBuilder(Stack.Project(b, "provisioning-worker"))
                .WithEnvironment("Hibernation__IdleAfter", IdleAfter.ToString("c"))
                .WithEnvironment("Hibernation__CheckInterval", "00:00:05")
                // Paced every 2 min: the at-rest comparison below starts its default-naptime window right after a pass.
                .WithEnvironment("AutovacuumPacing__Interval", PacingInterval.ToString("c"));
            if (apiBudget > 0)
            {
                b.CreateResourceBuilder(Stack.Project(b, "tenant-api"))
                    .WithEnvironment("ConnectionRegistry__ConnectionBudget", apiBudget.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        },
            // The size collector at its defaults (a pass every 5 min, readings refreshed hourly), as deployed.
            pgStatStatements: true);
        using var admin = stack.Admin();
        var slugs = Enumerable.Range(0, tenants).Select(i => $"fleet-{i:D5}").ToArray();
        var awake = slugs.Where((_, i) => i % 20 == 0).ToArray(); // 5 %, spread over the run

        Console.WriteLine();
        Console.WriteLine("## Provisioning (16 requests in flight, all standard tier, one server)");
        Console.WriteLine("| tenants | cumulative s | rate of this tenth, tenants/s |");
        Console.WriteLine("|---|---|---|");
        var clock = Stopwatch.StartNew();
        var tenth = Math.Max(1, tenants / 10);
        var last = TimeSpan.Zero;
        for (var start = 0; start < tenants; start += tenth)
        {
            await stack.CreateTenantsAsync(slugs[start..Math.Min(tenants, start + tenth)], sleepingCounts: true);
            var now = clock.Elapsed;
            Console.WriteLine($"| {Math.Min(tenants, start + tenth)} | {now.TotalSeconds:F0} | {tenth / (now - last).TotalSeconds:F1} |");
            last = now;
        }
        Console.WriteLine($"all {tenants} active in {clock.Elapsed.TotalSeconds:F0} s: {tenants / clock.Elapsed.TotalSeconds:F1} tenants/s sustained");
        // From here on, every statement's slowest run is kept: the worker's passes over the whole fleet while it falls asleep and
        // at rest (several size-collector passes, hundreds of hibernation-monitor passes), reported after the windows.
        await TenantData.ScalarAsync<object>(stack.Server, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        await TenantData.ScalarAsync<object>(stack.Server, "SELECT pg_stat_statements_reset()");

        // Keep 5 % busy (a request each every 10 s) while the monitor puts the rest to sleep.
        using var keepAwake = new CancellationTokenSource();
        var keeper = Task.Run(async () =>
        {
            while (!keepAwake.IsCancellationRequested)
            {
                await Parallel.ForEachAsync(awake, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (slug, _) => await LoadScenario.Get(admin, slug));
                await Task.Delay(TimeSpan.FromSeconds(10), keepAwake.Token).ContinueWith(_ => { });
            }
        });
        var hibernateClock = Stopwatch.StartNew();
        long hibernated;
        while ((hibernated = await CountAsync(stack, "Hibernated")) < tenants - awake.Length && hibernateClock.Elapsed < TimeSpan.FromMinutes(20))
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
        Console.WriteLine($"{hibernated} hibernated ({100.0 * hibernated / tenants:F1} %) {hibernateClock.Elapsed.TotalSeconds:F0} s after the last was provisioned (idle after {IdleAfter.TotalSeconds:F0} s)");
        await Task.Delay(TimeSpan.FromSeconds(15)); // let the last hibernations' sessions end

        await AtRestAsync(stack, admin, tenants);
        await AdminLatencyAsync(admin, slugs, samples);
        keepAwake.Cancel();
        await keeper;
        await WakeAsync(stack, admin, slugs.Except(awake).Take(samples).ToArray());
    }

    private static async Task AtRestAsync(Stack stack, HttpClient admin, int tenants)
    {
        var postmaster = ProcessStats.Root($"{stack.DataRoot}/postgres -p"); // the standard server, not postgres-premium
        await using var connection = new NpgsqlConnection(stack.Server);
        await connection.OpenAsync();
        await ExecuteAsync(connection, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        var paced = await ScalarAsync<string>(connection, "SHOW autovacuum_naptime");

        Console.WriteLine();
        Console.WriteLine($"## At rest ({tenants} tenants, 5 % kept busy by a request each every 10 s), {Window.TotalSeconds:F0} s windows");
        Console.WriteLine("| window | autovacuum_naptime | Postgres | worker | API | sum | connections opened | autovacuum workers seen | Postgres' biggest parts (CPU s) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var statements = await WindowAsync(connection, postmaster, "as deployed (naptime paced by the worker)");

        // The same fleet with Postgres' default naptime, as it ran before the pacer: set right after a pacer pass (seen as the
        // pacer putting its value back), so the next pass (PacingInterval later) falls after the window.
        await ExecuteAsync(connection, "ALTER SYSTEM SET autovacuum_naptime = 60");
        await ExecuteAsync(connection, "SELECT pg_reload_conf()");
        var deadline = DateTime.UtcNow + PacingInterval + TimeSpan.FromSeconds(30);
        while (await ScalarAsync<string>(connection, "SHOW autovacuum_naptime") == "1min" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }
        await ExecuteAsync(connection, "ALTER SYSTEM SET autovacuum_naptime = 60");
        await ExecuteAsync(connection, "SELECT pg_reload_conf()");
        // The reload is a signal: wait until this session sees the setting, so the window's label reads what it measures.
        for (var i = 0; i < 50 && await ScalarAsync<string>(connection, "SHOW autovacuum_naptime") != "1min"; i++)
        {
            await Task.Delay(100);
        }
        await WindowAsync(connection, postmaster, "Postgres' default naptime (before this change)");
        // Not a CPU window: the census samples pg_stat_activity every few milliseconds, which costs CPU of its own.
        await ConnectionCensus.RunAsync(stack.Server, Window, admin);
        Console.WriteLine($"(naptime at the end of the last window: {await ScalarAsync<string>(connection, "SHOW autovacuum_naptime")}; the pacer sets {paced} back)");

        Console.WriteLine();
        Console.WriteLine("Slowest statements since provisioning ended (falling asleep and both windows) by their slowest run (pg_stat_statements; tenant logins left out):");
        Console.WriteLine("| login | calls | mean ms | max ms | statement |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var line in statements)
        {
            Console.WriteLine(line);
        }

        var backends = await ScalarAsync<long>(connection, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'");
        var tenantBackends = await ScalarAsync<long>(connection, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname LIKE 'tdb%'");
        var bytes = await ScalarAsync<decimal>(connection, "SELECT sum(pg_database_size(datname)) FROM pg_database WHERE datname LIKE 'tdb%'");
        var databases = await ScalarAsync<long>(connection, "SELECT count(*) FROM pg_database WHERE datname LIKE 'tdb%'");
        var open = await ScalarAsync<long>(connection, "SELECT count(*) FROM pg_database WHERE datname LIKE 'tdb%' AND datallowconn");
        var shared = await ScalarAsync<string>(connection, "SHOW shared_buffers");
        var du = DirectoryBytes(Path.Combine(stack.DataRoot, "postgres"));
        var postgres = ProcessStats.Find($"{stack.DataRoot}/postgres -p");

        Console.WriteLine();
        Console.WriteLine($"- Postgres backends: {backends} client backends, {tenantBackends} of them in tenant databases");
        Console.WriteLine($"- Postgres memory: {ProcessStats.PssKb(postgres) / 1024.0:F0} MiB proportional set size over {postgres.Count} processes (shared_buffers {shared})");
        Console.WriteLine($"- disk: data folder {du / 1024.0 / 1024 / 1024:F1} GiB = {du / 1024.0 / 1024 / tenants:F2} MiB per tenant (catalog, WAL and spares included); " +
                          $"{databases} tenant databases (spares included), {open} accepting connections: {(double)bytes / 1024 / 1024 / databases:F2} MiB each by pg_database_size");
    }

    /// <summary>One window at rest: CPU of Postgres (by part), the worker and the API; returns the slowest non-tenant statements.</summary>
    private static async Task<List<string>> WindowAsync(NpgsqlConnection connection, int postmaster, string label)
    {
        var naptime = await ScalarAsync<string>(connection, "SHOW autovacuum_naptime");
        const string Sessions = "SELECT sum(sessions)::bigint FROM pg_stat_database"; // connections established, every database
        var sessionsBefore = await ScalarAsync<long>(connection, Sessions);
        var worker = ProcessStats.Find("ProvisioningWorker/bin");
        var api = ProcessStats.Find("TenantApi/bin");
        double workerBefore = worker.Sum(ProcessStats.WithReapedChildren), apiBefore = api.Sum(ProcessStats.WithReapedChildren);
        var (pg, parts, seen) = await PostgresCpuSampler.MeasureAsync(postmaster, Window);
        var sessions = await ScalarAsync<long>(connection, Sessions) - sessionsBefore;
        double workerCpu = worker.Sum(ProcessStats.WithReapedChildren) - workerBefore, apiCpu = api.Sum(ProcessStats.WithReapedChildren) - apiBefore;
        string Share(double seconds) => $"{100 * seconds / Window.TotalSeconds:F1} %";
        Console.WriteLine($"| {label} | {naptime} | {Share(pg)} | {Share(workerCpu)} | {Share(apiCpu)} | **{Share(pg + workerCpu + apiCpu)}** | {sessions} | {seen.GetValueOrDefault("autovacuum worker")} | " +
                          string.Join("; ", parts.Where(p => p.Seconds >= 0.05).Take(5).Select(p => $"{p.Class} {p.Seconds:F2}")) + " |");

        var statements = new List<string>();
        await using var command = new NpgsqlCommand(
            "SELECT r.rolname, s.calls, s.mean_exec_time, s.max_exec_time, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 100) " +
            "FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid " +
            "WHERE r.rolname NOT LIKE 'trole\\_%' AND s.query NOT LIKE '%pg_stat_statements%' ORDER BY s.max_exec_time DESC LIMIT 8", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            statements.Add($"| {reader.GetString(0)} | {reader.GetInt64(1)} | {reader.GetDouble(2):F1} | {reader.GetDouble(3):F1} | `{reader.GetString(4).Replace("|", "\\|", StringComparison.Ordinal)}` |");
        }
        return statements;
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task AdminLatencyAsync(HttpClient admin, string[] slugs, int samples)
    {
        var list = new List<double>();
        var lookup = new List<double>();
        var pages = (slugs.Length + 99) / 100;
        for (var i = 0; i < samples; i++)
        {
            var t = Stopwatch.GetTimestamp();
            using (var page = await admin.GetAsync($"/api/tenants?page={Random.Shared.Next(1, pages + 1)}&pageSize=100"))
            {
                page.EnsureSuccessStatusCode();
            }
            list.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            t = Stopwatch.GetTimestamp();
            using (var one = await admin.GetAsync($"/api/tenants/{slugs[Random.Shared.Next(slugs.Length)]}"))
            {
                one.EnsureSuccessStatusCode();
            }
            lookup.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        list.Sort();
        lookup.Sort();
        Console.WriteLine();
        Console.WriteLine($"## Admin API with {slugs.Length} tenants (n={samples} each, sequential)");
        Console.WriteLine("| request | p50 ms | p99 ms |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| GET /api/tenants?page=random&pageSize=100 | {Stats.Percentile(list, 50):F1} | {Stats.Percentile(list, 99):F1} |");
        Console.WriteLine($"| GET /api/tenants/{{slug}} | {Stats.Percentile(lookup, 50):F1} | {Stats.Percentile(lookup, 99):F1} |");
    }

    private static async Task WakeAsync(Stack stack, HttpClient admin, string[] sleeping)
    {
        var wakes = new List<double>();
        var statuses = new Dictionary<int, int>();
        foreach (var slug in sleeping)
        {
            var t = Stopwatch.GetTimestamp();
            var status = await LoadScenario.Get(admin, slug);
            wakes.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
        }
        wakes.Sort();
        Console.WriteLine();
        Console.WriteLine($"## First request of a sleeping tenant (n={sleeping.Length}, sequential, through the wake)");
        Console.WriteLine($"p50 {Stats.Percentile(wakes, 50):F0} ms, p99 {Stats.Percentile(wakes, 99):F0} ms, max {wakes[^1]:F0} ms; answers {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}");
        Console.WriteLine($"still hibernated after: {await CountAsync(stack, "Hibernated")}");
    }

    private static Task<long> CountAsync(Stack stack, string status) =>
        TenantData.ScalarAsync<long>(stack.Catalog, "SELECT count(*) FROM tenants WHERE status = $1", status);

    internal static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static long DirectoryBytes(string path) =>
        new DirectoryInfo(path).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).Sum(f => f.Length);
}
