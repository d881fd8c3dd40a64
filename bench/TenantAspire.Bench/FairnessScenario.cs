using System.Collections.Concurrent;
using System.Diagnostics;
using Aspire.Hosting;

namespace TenantAspire.Bench;

/// <summary>
/// A hot tenant at full speed beside a cold one (issue 25, item 5; the fault suite's row in docs/reliability.md), side by side in
/// one run against two API processes that differ in one setting: refusals held 200 ms before their 429 (the default,
/// <c>RateLimits:RefusalHold</c>) or answered at once. Both allow a standard tenant 100 requests/s (burst 100), as the fault
/// suite's API does. Per API and round: the cold tenant alone (sequential GETs, 10 ms apart), then the same beside the hot
/// tenant's closed loops (no pacing, Retry-After ignored), with the API's CPU over the loaded phase.
/// </summary>
internal static class FairnessScenario
{
    private const string Held = "tenant-api-held";
    private const string Instant = "tenant-api-instant";

    public static async Task RunAsync(int coldRequests, int hotLoops, int rounds)
    {
        Console.WriteLine($"# fairness: {coldRequests} cold GETs 10 ms apart, {hotLoops} hot loops, {rounds} rounds per API; 2 cores shared by the stack and this client");
        await using var stack = await Stack.StartAsync([], builder =>
        {
            foreach (var (name, hold) in new[] { (Held, "00:00:00.200"), (Instant, "00:00:00") })
            {
                LoadScenario.AddApi(builder, name)
                    .WithEnvironment("RateLimits__Tiers__Standard__PermitsPerSecond", "100")
                    .WithEnvironment("RateLimits__Tiers__Standard__Burst", "100")
                    .WithEnvironment("RateLimits__RefusalHold", hold);
            }
        });
        string hot = "fair-hot", cold = "fair-cold";
        await stack.CreateTenantsAsync([hot, cold]);
        await TenantData.SeedAsync(stack, cold, 20);
        await TenantData.SeedAsync(stack, hot, 20);

        Console.WriteLine("| API | round | cold alone p50 / p99 ms | cold beside hot p50 / p99 ms | p99 ratio | hot answers (rate) | API CPU, loaded phase |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var ratios = new Dictionary<string, List<double>> { [Held] = [], [Instant] = [] };
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var api in new[] { Instant, Held })
            {
                using var http = LoadScenario.Client(stack, api);
                await ColdAsync(http, cold, 20); // warm: route, data source, JIT
                var alone = await ColdAsync(http, cold, coldRequests);
                var before = await TaxScenario.ProcessAsync(http, collect: false);
                var clock = Stopwatch.StartNew();
                using var stop = new CancellationTokenSource();
                var answers = new ConcurrentDictionary<int, int>();
                var loops = Enumerable.Range(0, hotLoops).Select(_ => Task.Run(async () =>
                {
                    using var client = LoadScenario.Client(stack, api);
                    while (!stop.IsCancellationRequested)
                    {
                        var status = await LoadScenario.Get(client, hot);
                        answers.AddOrUpdate(status, 1, (_, n) => n + 1);
                    }
                })).ToArray();
                await Task.Delay(1000); // the loops reach their steady state
                var beside = await ColdAsync(http, cold, coldRequests);
                await stop.CancelAsync();
                await Task.WhenAll(loops);
                var seconds = clock.Elapsed.TotalSeconds;
                var after = await TaxScenario.ProcessAsync(http, collect: false);
                var cpu = (after.GetProperty("cpuMilliseconds").GetDouble() - before.GetProperty("cpuMilliseconds").GetDouble()) / 10 / seconds;
                var ratio = Stats.Percentile(beside, 99) / Stats.Percentile(alone, 99);
                ratios[api].Add(ratio);
                var statuses = string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Key}: {a.Value}"));
                Console.WriteLine($"| {(api == Held ? "refusals held 200 ms" : "refusals at once")} | {round} | {Stats.Percentile(alone, 50):F1} / {Stats.Percentile(alone, 99):F1} | " +
                                  $"{Stats.Percentile(beside, 50):F1} / {Stats.Percentile(beside, 99):F1} | {ratio:F2}× | {statuses} ({answers.Values.Sum() / seconds:F0}/s) | {cpu:F0} % of a core |");
            }
        }
        Console.WriteLine($"cold p99 beside hot / alone, mean of {rounds} rounds (goal ≤ 2×): refusals at once {ratios[Instant].Average():F2}×, held {ratios[Held].Average():F2}×");
    }

    /// <summary>Sequential GETs of one tenant, 10 ms apart; latencies sorted. Every answer must be 200.</summary>
    private static async Task<List<double>> ColdAsync(HttpClient http, string slug, int requests)
    {
        var latencies = new List<double>(requests);
        for (var i = 0; i < requests; i++)
        {
            var clock = Stopwatch.StartNew();
            var status = await LoadScenario.Get(http, slug);
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            if (status != 200)
            {
                throw new InvalidOperationException($"the cold tenant got {status}");
            }
            await Task.Delay(10);
        }
        latencies.Sort();
        return latencies;
    }
}
