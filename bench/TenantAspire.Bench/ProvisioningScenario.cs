using Aspire.Hosting;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Npgsql;

namespace TenantAspire.Bench;

/// <summary>
/// Two stacks in one run (2 worker instances each): template clone vs migrate from scratch. Latency comes from the catalog's
/// own timestamps (operation created → tenant activated; in-worker: attempt claimed → activated), so polling adds no error.
/// </summary>
internal static class ProvisioningScenario
{
    public static async Task RunAsync(int sequential, int bulk)
    {
        Console.WriteLine($"# provisioning benchmark: {sequential} sequential creations per mode, {bulk} concurrent with template, 2 workers");
        foreach (var useTemplate in new[] { true, false })
        {
            await using var stack = await Stack.StartAsync([], b => b.CreateResourceBuilder(Stack.Project(b, "provisioning-worker"))
                .WithReplicas(2).WithEnvironment("Provisioning__UseTemplate", useTemplate ? "true" : "false"));
            var label = useTemplate ? "template clone" : "migrate from scratch";
            using var admin = stack.Admin();

            await CreateOneAsync(stack, admin, $"warm-{Guid.NewGuid():N}"[..16]); // also builds the template
            var latencies = new List<double>();
            for (var i = 0; i < sequential; i++)
            {
                var slug = $"seq-{Guid.NewGuid():N}"[..16];
                await CreateOneAsync(stack, admin, slug);
                latencies.Add(await ScalarAsync(stack, "SELECT EXTRACT(EPOCH FROM (t.updated_at - o.created_at)) * 1000 FROM tenant_operations o JOIN tenants t ON t.id = o.tenant_id WHERE t.slug = $1", slug));
            }
            latencies.Sort();
            var inWorker = await ScalarAsync(stack, """
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (t.updated_at - o.started_at)) * 1000)
                  FROM tenant_operations o JOIN tenants t ON t.id = o.tenant_id WHERE t.slug LIKE $1
                """, "seq-%");
            Console.WriteLine($"{label,-22} request→active  p50 {Stats.Percentile(latencies, 50),7:F1} ms   p95 {Stats.Percentile(latencies, 95),7:F1} ms   (n={sequential})   in-worker p50 {inWorker,6:F1} ms");

            if (useTemplate)
            {
                var slugs = Enumerable.Range(0, bulk).Select(_ => $"bulk-{Guid.NewGuid():N}"[..17]).ToArray();
                var clock = Stopwatch.StartNew();
                await stack.CreateTenantsAsync(slugs);
                Console.WriteLine($"{label,-22} {bulk} tenants: all active after {clock.Elapsed.TotalSeconds:F1} s → {bulk / clock.Elapsed.TotalSeconds:F1} tenants/s sustained");
            }
        }
    }

    private static async Task CreateOneAsync(Stack stack, HttpClient admin, string slug)
    {
        using var response = await admin.PostAsJsonAsync("/api/tenants", new { slug, name = slug, tier = "standard" });
        response.EnsureSuccessStatusCode();
        await stack.WaitAllActiveAsync([slug]);
    }

    private static async Task<double> ScalarAsync(Stack stack, string sql, string parameter)
    {
        await using var connection = new NpgsqlConnection(stack.Catalog);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return Convert.ToDouble(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
