using Aspire.Hosting;
using System.Diagnostics;
using TenantAspire.Storm;
using TenantAspire.Tenancy.Auth;

namespace TenantAspire.Bench;

/// <summary>
/// Long operation storms (issue 21): the suite's storm engine (Tests/Storm, linked into this project) on a stack of its own with
/// the storm's settings; each seed runs on the same stack, one after the other, and prints its rate, answers and violations.
/// </summary>
internal static class StormScenario
{
    public static async Task RunAsync(int operations, IReadOnlyList<int> seeds, int tenants)
    {
        await using var stack = await Stack.StartAsync([], builder =>
            builder.CreateResourceBuilder(Stack.Project(builder, "provisioning-worker"))
                .WithEnvironment("Backups__Scheduled", "true")
                .WithEnvironment("Backups__ScanInterval", "00:00:01")
                .WithEnvironment("Backups__Tiers__Standard__Interval", "00:00:00")
                .WithEnvironment("Backups__Tiers__Premium__Interval", "00:00:00")
                .WithEnvironment("Backups__DeletedTenantGrace", "00:00:05")
                .WithEnvironment("Backups__UndoWindow", "00:00:05")
                .WithEnvironment("Moves__SourceGrace", "00:00:02")
                .WithEnvironment("OrphanSweep__Interval", "00:00:02")
                .WithEnvironment("Provisioning__Lease", "00:00:03")
                .WithEnvironment("Provisioning__FaultInjection", "false"));
        var adapter = new BenchStormStack(stack);
        Console.WriteLine("| seed | operations | ops/s | accepted | worker kills | writes tried | 5xx (not 503) | violations | wall time |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var seed in seeds)
        {
            var clock = Stopwatch.StartNew();
            var model = await new OperationStorm(adapter, seed, tenants, operations, workerKills: Math.Max(2, operations / 500))
                .RunAsync(CancellationToken.None);
            var stormSeconds = clock.Elapsed.TotalSeconds;
            // What the invariants report without counting it (a leftover subscription, with its move's phase) is printed too.
            var violations = await new StormInvariants(adapter, model, line => Console.WriteLine($"  seed {seed}: {line}")).CheckAsync();
            Console.WriteLine($"| {seed} | {operations} | {operations / stormSeconds:0.0} | {model.Accepted.Count()} | {model.WorkerKills} | "
                              + $"{model.WriteAttempts} | {model.ServerErrors.Count} | {violations.Count} | {clock.Elapsed.TotalSeconds:0} s |");
            foreach (var violation in violations.Take(10))
            {
                Console.WriteLine($"  seed {seed}: {violation}");
            }
        }
    }

    /// <summary>The benchmark's stack as the storm sees it: both API replicas sit behind one endpoint (round-robin), one worker.</summary>
    private sealed class BenchStormStack(Stack stack) : IStormStack
    {
        public int ApiReplicas => 2;

        public HttpClient Api(int replica, string? tenant, params string[] roles)
        {
            var http = stack.Admin();
            http.DefaultRequestHeaders.Authorization =
                new("Bearer", DevTokenIssuer.Mint(stack.SigningKey, tenant, roles, TimeSpan.FromHours(2)));
            return http;
        }

        public Task<string> ConnectionStringAsync(string resource) => stack.ConnectionStringAsync(resource);

        public async Task<Azure.Storage.Blobs.BlobServiceClient> BlobStoreAsync() =>
            Tenancy.Backups.BlobStoreClients.Create(await stack.ConnectionStringAsync("blobs"), await stack.ParameterAsync("blobs-ca"));

        public Task RestartWorkersAsync() => stack.RestartKilledAsync("provisioning-worker");
    }
}
