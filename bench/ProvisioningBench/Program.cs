// Provisioning benchmark: boots the real stack (local mode, 2 worker instances) twice in one run, once cloning tenants from the
// template database and once migrating every new database from scratch, and reports request→active latency and sustained rate.
// Latency comes from the catalog's own timestamps (operation created → tenant activated), so polling adds no error.
// Run: dotnet run -c Release --project bench/ProvisioningBench -- [sequential=30] [bulk=200]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using TenantAspire.Tenancy.Auth;

var sequential = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
var bulk = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;

Console.WriteLine($"# provisioning benchmark: {sequential} sequential creations per mode, {bulk} concurrent with template, 2 workers");
foreach (var useTemplate in new[] { true, false })
{
    await using var stack = await Stack.StartAsync(useTemplate);
    var label = useTemplate ? "template clone" : "migrate from scratch";

    // Warm-up: the first creation also builds the template.
    await stack.CreateAndWaitAsync($"warm-{Guid.NewGuid():N}"[..16]);
    var latencies = new List<double>();
    for (var i = 0; i < sequential; i++)
    {
        latencies.Add(await stack.CreateAndWaitAsync($"seq-{Guid.NewGuid():N}"[..16]));
    }
    latencies.Sort();
    Console.WriteLine($"{label,-22} request→active  p50 {Pct(latencies, 50),7:F1} ms   p95 {Pct(latencies, 95),7:F1} ms   " +
                      $"(n={sequential})   in-worker p50 {await stack.WorkerP50Async(),6:F1} ms");

    if (useTemplate)
    {
        var slugs = Enumerable.Range(0, bulk).Select(_ => $"bulk-{Guid.NewGuid():N}"[..17]).ToArray();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(slugs, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (s, _) => await stack.CreateAsync(s));
        var submitted = clock.Elapsed.TotalSeconds;
        await stack.WaitAllActiveAsync(slugs);
        var total = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{label,-22} {bulk} tenants: submitted in {submitted:F1} s, all active after {total:F1} s " +
                          $"→ {bulk / total:F1} tenants/s sustained");
    }
}

static double Pct(List<double> sorted, int p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];

internal sealed class Stack : IAsyncDisposable
{
    private readonly string _dataRoot = Path.Combine("/var/tmp", "tenantaspire-bench", Guid.NewGuid().ToString("N")[..12]);
    private DistributedApplication _app = null!;
    private HttpClient _admin = null!;
    private string _catalog = null!;

    public static async Task<Stack> StartAsync(bool useTemplate)
    {
        var stack = new Stack();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["Infrastructure=local", $"LocalInfrastructure:DataRoot={stack._dataRoot}"]);
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Error));
        var worker = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "provisioning-worker");
        builder.CreateResourceBuilder(worker).WithReplicas(2)
            .WithEnvironment("Provisioning__UseTemplate", useTemplate ? "true" : "false")
            .WithEnvironment("Demo__Seed", "false")
            .WithEnvironment("Logging__LogLevel__Default", "Warning");
        builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "tenant-api"))
            .WithEnvironment("Logging__LogLevel__Default", "Warning");
        stack._app = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await stack._app.StartAsync(cts.Token);
        await stack._app.ResourceNotifications.WaitForResourceHealthyAsync("tenant-api", cts.Token);
        var key = (await File.ReadAllTextAsync(Path.Combine(stack._dataRoot, "secrets", "jwt-signing-key"))).Trim();
        stack._admin = stack._app.CreateHttpClient("tenant-api", "http");
        stack._admin.DefaultRequestHeaders.Authorization =
            new("Bearer", DevTokenIssuer.Mint(key, null, [TenantClaims.PlatformAdmin], TimeSpan.FromHours(1)));
        stack._catalog = (await stack._app.GetConnectionStringAsync("catalog"))!;
        return stack;
    }

    public async Task CreateAsync(string slug)
    {
        using var response = await _admin.PostAsJsonAsync("/api/tenants", new { slug, name = slug, tier = "standard" });
        response.EnsureSuccessStatusCode();
    }

    /// <returns>request→active in ms, from the catalog's timestamps.</returns>
    public async Task<double> CreateAndWaitAsync(string slug)
    {
        await CreateAsync(slug);
        await WaitAllActiveAsync([slug]);
        await using var connection = new NpgsqlConnection(_catalog);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT EXTRACT(EPOCH FROM (t.updated_at - o.created_at)) * 1000
              FROM tenant_operations o JOIN tenants t ON t.id = o.tenant_id WHERE t.slug = $1 AND o.kind = 'Provision'
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = slug });
        return Convert.ToDouble(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Median time inside the worker: the successful attempt claimed → tenant activated.</summary>
    public async Task<double> WorkerP50Async()
    {
        await using var connection = new NpgsqlConnection(_catalog);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (t.updated_at - o.started_at)) * 1000)
              FROM tenant_operations o JOIN tenants t ON t.id = o.tenant_id
             WHERE o.kind = 'Provision' AND t.status = 'Active' AND t.slug LIKE 'seq-%'
            """, connection);
        return Convert.ToDouble(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public async Task WaitAllActiveAsync(string[] slugs)
    {
        await using var connection = new NpgsqlConnection(_catalog);
        await connection.OpenAsync();
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (DateTime.UtcNow < deadline)
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM tenants WHERE slug = ANY($1) AND status = 'Active'", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = slugs });
            if ((long)(await command.ExecuteScalarAsync())! == slugs.Length)
            {
                return;
            }
            await Task.Delay(2);
        }
        throw new TimeoutException("tenants did not become active");
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try { Directory.Delete(_dataRoot, recursive: true); } catch (IOException) { }
    }
}
