using System.Diagnostics;
using System.Text.Json;

namespace TenantAspire.Bench;

/// <summary>
/// The load benchmark's (d) — Zipf(1) over N tenants through the API, registry budget B = 40, one connection per tenant — on two
/// builds side by side in ONE stack: another checkout's API (e.g. the commit before a registry change) and this checkout's (or a
/// third checkout's), alternated run by run so drift on the shared machine hits both alike. A checkout is a git worktree whose
/// TenantApi was built with <c>dotnet build -c Release</c>.
/// </summary>
internal static class RegistryAbScenario
{
    private const string Before = "tenant-api-before";
    private const string After = "tenant-api-after";

    /// <param name="afterCheckout">"." for this checkout.</param>
    public static async Task RunAsync(string beforeCheckout, string afterCheckout, int tenants, int seconds, int rounds, int concurrency)
    {
        Console.WriteLine($"# registry A/B: (d) Zipf(1) over {tenants} tenants, B = {LoadScenario.NarrowBudget}, {seconds} s per run, {rounds} rounds, {concurrency} clients; " +
                          $"before = {beforeCheckout} (git {await GitHeadAsync(beforeCheckout)}), after = {afterCheckout} (git {await GitHeadAsync(afterCheckout)})");
        await using var stack = await Stack.StartAsync(["LocalInfrastructure:MaxConnections=500", "TenantApi:Replicas=1"], builder =>
        {
            LoadScenario.AddApi(builder, Before, Project(beforeCheckout)).WithNarrowRegistry();
            LoadScenario.AddApi(builder, After, afterCheckout == "." ? null : Project(afterCheckout)).WithNarrowRegistry();
        });
        var slugs = Enumerable.Range(0, tenants).Select(i => $"ab-{i:D5}").ToArray();
        var clock = Stopwatch.StartNew();
        await stack.CreateTenantsAsync(slugs);
        Console.WriteLine($"provisioned {tenants} tenants in {clock.Elapsed.TotalSeconds:F0} s");
        var zipf = new LoadScenario.Zipf(tenants, 1.0);
        Console.WriteLine($"ideal hit ratio: {zipf.TopShare(LoadScenario.NarrowBudget):P1}");
        Console.WriteLine();
        Console.WriteLine("| build, round | RPS | p50 ms | p99 ms | errors | peak backends | hit ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var results = new Dictionary<string, List<(LoadScenario.Result Result, double Hit)>> { [Before] = [], [After] = [] };
        var clients = new Dictionary<string, HttpClient> { [Before] = LoadScenario.Client(stack, Before), [After] = LoadScenario.Client(stack, After) };
        foreach (var (name, http) in clients)
        {
            await LoadScenario.RunAsync("warm-up", 5, concurrency, name, stack.Server, (_, _) => LoadScenario.Get(http, slugs[zipf.Sample()]));
        }
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var name in round % 2 == 1 ? new[] { Before, After } : [After, Before])
            {
                var http = clients[name];
                var before = await LoadScenario.SnapshotAsync(http);
                var result = await LoadScenario.RunAsync(name, seconds, concurrency, name, stack.Server, (_, _) => LoadScenario.Get(http, slugs[zipf.Sample()]));
                var after = await LoadScenario.SnapshotAsync(http);
                double Delta(string counter) => after.GetProperty(counter).GetInt64() - before.GetProperty(counter).GetInt64();
                var hit = Delta("hits") / (Delta("hits") + Delta("grows") + Delta("misses") + Delta("transients"));
                results[name].Add((result, hit));
                Console.WriteLine($"| {name}, round {round} | {result.Rps:F0} | {result.P50:F2} | {result.P99:F2} | {result.Errors} | {result.PeakBackends} | {hit:P1} |");
            }
        }
        foreach (var (name, runs) in results)
        {
            Console.WriteLine($"{name}: mean RPS {runs.Average(r => r.Result.Rps):F0}, p50 {runs.Average(r => r.Result.P50):F2} ms, p99 {runs.Average(r => r.Result.P99):F2} ms, hit {runs.Average(r => r.Hit):P1}, errors {runs.Sum(r => r.Result.Errors)}");
        }
        Console.WriteLine($"after / before: RPS {results[After].Average(r => r.Result.Rps) / results[Before].Average(r => r.Result.Rps):F2}×, " +
                          $"p99 {results[After].Average(r => r.Result.P99) / results[Before].Average(r => r.Result.P99):F2}×");

        // One hot tenant: all clients queue for its one connection (how a build serves a tenant's waiters).
        Console.WriteLine();
        Console.WriteLine($"| one tenant, {concurrency} clients on its 1 connection | RPS | p50 ms | p99 ms | errors | peak backends |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var name in round % 2 == 1 ? new[] { Before, After } : [After, Before])
            {
                var r = await LoadScenario.RunAsync(name, seconds, concurrency, name, stack.Server, (_, _) => LoadScenario.Get(clients[name], slugs[0]));
                Console.WriteLine($"| {name}, round {round} | {r.Rps:F0} | {r.P50:F2} | {r.P99:F2} | {r.Errors} | {r.PeakBackends} |");
            }
        }
        foreach (var http in clients.Values)
        {
            http.Dispose();
        }
    }

    private static string Project(string checkout)
    {
        var project = Path.GetFullPath(Path.Combine(checkout, "TenantApi", "TenantApi.csproj"));
        return File.Exists(project)
            ? project
            : throw new FileNotFoundException($"No API project in {checkout}: git worktree add <folder> <commit>, then dotnet build -c Release its TenantApi", project);
    }

    private static async Task<string> GitHeadAsync(string folder)
    {
        using var git = Process.Start(new ProcessStartInfo("git", ["-C", folder, "rev-parse", "--short", "HEAD"]) { RedirectStandardOutput = true })!;
        var head = (await git.StandardOutput.ReadToEndAsync()).Trim();
        await git.WaitForExitAsync();
        return head;
    }
}
