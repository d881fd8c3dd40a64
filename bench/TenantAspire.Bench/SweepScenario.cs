using Aspire.Hosting;
using Npgsql;

namespace TenantAspire.Bench;

/// <summary>
/// What the orphan sweep costs at rest with N live tenants, at the test stacks' interval (every 2 s): the catalog's transactions
/// per second (each catalog query the worker runs outside a transaction is one) and the worker's and the standard server's CPU over
/// a window where nothing else happens (no requests, hibernation and size passes an hour away, no spares being made).
/// </summary>
internal static class SweepScenario
{
    public static async Task RunAsync(int tenants, int seconds)
    {
        Console.WriteLine($"# sweep: {tenants} live tenants, orphan sweep every 2 s, {seconds} s at rest; 2 cores");
        await using var stack = await Stack.StartAsync(["TenantApi:Replicas=1"], b =>
            b.CreateResourceBuilder(Stack.Project(b, "provisioning-worker"))
                .WithEnvironment("OrphanSweep__Interval", "00:00:02")
                .WithEnvironment("Hibernation__CheckInterval", "01:00:00")
                .WithEnvironment("Telemetry__DatabaseSizeInterval", "01:00:00"));
        var slugs = Enumerable.Range(0, tenants).Select(i => $"sweep-{i:D5}").ToArray();
        await stack.CreateTenantsAsync(slugs);
        await Task.Delay(TimeSpan.FromSeconds(15)); // the spare pool refills and the creations' own passes end

        var catalogName = new NpgsqlConnectionStringBuilder(stack.Catalog).Database!;
        await using var server = new NpgsqlConnection(stack.Server);
        await server.OpenAsync();
        async Task<long> CatalogTransactionsAsync()
        {
            await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", server))
            {
                await clear.ExecuteNonQueryAsync(); // a fresh reading, not this session's cached one
            }
            await using var stats = new NpgsqlCommand("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", server);
            stats.Parameters.Add(new NpgsqlParameter { Value = catalogName });
            return (long)(await stats.ExecuteScalarAsync())!;
        }
        var postmaster = ProcessStats.Root($"{stack.DataRoot}/postgres -p");
        var worker = ProcessStats.Find("ProvisioningWorker/bin");
        var transactionsBefore = await CatalogTransactionsAsync();
        var workerBefore = worker.Sum(ProcessStats.WithReapedChildren);
        var postgres = (await PostgresCpuSampler.MeasureAsync(postmaster, TimeSpan.FromSeconds(seconds))).Total;
        var workerCpu = worker.Sum(ProcessStats.WithReapedChildren) - workerBefore;
        var transactions = await CatalogTransactionsAsync() - transactionsBefore;
        Console.WriteLine("| tenants | catalog transactions/s | worker CPU (% of a core) | standard server CPU (% of a core) |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| {tenants} | {transactions / (double)seconds:F1} | {100 * workerCpu / seconds:F1} % | {100 * postgres / seconds:F1} % |");
    }
}
