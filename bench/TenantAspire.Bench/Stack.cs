using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using TenantAspire.AppHost;
using TenantAspire.AppHost.Local;
using TenantAspire.Tenancy.Auth;
using TenantAspire.TestSupport;

namespace TenantAspire.Bench;

/// <summary>The real stack in local mode with a throw-away data folder, started through Aspire.Hosting.Testing.</summary>
internal sealed class Stack : IAsyncDisposable
{
    private readonly string _dataRoot = Path.Combine("/var/tmp", "tenantaspire-bench", Guid.NewGuid().ToString("N")[..12]);
    private DistributedApplication _app = null!;

    /// <summary>This run's throw-away data folder (reachable by the postgres user).</summary>
    public string DataRoot => _dataRoot;

    public string Catalog { get; private set; } = null!;
    public string Server { get; private set; } = null!;
    public string SigningKey { get; private set; } = null!;

    /// <param name="pgStatStatements">Load pg_stat_statements in the standard server (what the worker's queries cost).</param>
    public static async Task<Stack> StartAsync(string[] appHostArgs, Action<IDistributedApplicationTestingBuilder> configure,
        bool pgStatStatements = false)
    {
        var stack = new Stack();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["Infrastructure=local", $"LocalInfrastructure:DataRoot={stack._dataRoot}", .. appHostArgs]);
        // Category rules: the testing builder's configuration has a Default rule that a bare minimum level would not override.
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Error)
            .AddFilter("AppHost.Resources", LogLevel.Error).AddFilter("System.Net.Http", LogLevel.Error));
        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
        {
            builder.CreateResourceBuilder(project)
                .WithEnvironment("Logging__LogLevel__Default", "Warning")
                .WithEnvironment("Demo__Seed", "false")
                // No scheduled backups or drills: their pg_dump of every new tenant would run under every other scenario's load
                // (the backup scenario asks for its passes itself).
                .WithEnvironment("Backups__Scheduled", "false")
                .WithEnvironment("Backups__DrillInterval", "00:00:00")
                .WithEnvironment("Archive__DrillInterval", "00:00:00")
                // No dashboard runs here: exports would fail and be retried in memory (CPU the measured services would pay and
                // a deployment with a working collector would not).
                .WithoutOtlpExport();
        }
        if (pgStatStatements)
        {
            builder.CreateResourceBuilder(builder.Resources.OfType<LocalPostgresServerResource>().Single(r => r.Name == ResourceNames.Postgres))
                .WithEnvironment("PG_SETTINGS", string.Join(' ', [.. ServerTopology.ReplicationSettings, "shared_preload_libraries=pg_stat_statements"]));
        }
        configure(builder);
        stack._app = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await stack._app.StartAsync(cts.Token);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            await stack._app.ResourceNotifications.WaitForResourceHealthyAsync(project.Name, cts.Token);
        }
        stack.SigningKey = (await File.ReadAllTextAsync(Path.Combine(stack._dataRoot, "secrets", "jwt-signing-key"))).Trim();
        stack.Catalog = (await stack._app.GetConnectionStringAsync("catalog"))!;
        stack.Server = (await stack._app.GetConnectionStringAsync("postgres"))!;
        return stack;
    }

    public static ProjectResource Project(IDistributedApplicationTestingBuilder builder, string name) =>
        builder.Resources.OfType<ProjectResource>().Single(r => r.Name == name);

    public HttpClient Admin(string resource = "tenant-api")
    {
        var http = _app.CreateHttpClient(resource, "http");
        http.DefaultRequestHeaders.Authorization =
            new("Bearer", DevTokenIssuer.Mint(SigningKey, null, [TenantClaims.PlatformAdmin], TimeSpan.FromHours(2)));
        return http;
    }

    public Uri Endpoint(string resource) => _app.GetEndpoint(resource, "http");

    /// <summary>A client of tenant-api acting as the tenant's admin.</summary>
    public HttpClient TenantAdmin(string slug)
    {
        var http = _app.CreateHttpClient("tenant-api", "http");
        http.DefaultRequestHeaders.Authorization =
            new("Bearer", DevTokenIssuer.Mint(SigningKey, slug, [TenantClaims.TenantAdmin], TimeSpan.FromHours(2)));
        return http;
    }

    public async Task<string> ConnectionStringAsync(string resource) => (await _app.GetConnectionStringAsync(resource))!;

    /// <summary>Starts again every instance of <paramref name="resource"/> a scenario killed, once seen as exited, and waits until it is healthy.</summary>
    public Task RestartKilledAsync(string resource) => new ResourceControl(_app).RestartKilledAsync(resource);

    /// <summary>A parameter's value (generated secrets included), as the AppHost gives it to the services.</summary>
    public async Task<string> ParameterAsync(string name) =>
        (await _app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>()
            .Single(p => p.Name == name).GetValueAsync(CancellationToken.None))!;

    /// <summary>The superuser connection string of a server (the AppHost's own).</summary>
    public async Task<string> ServerAsync(string name) => (await _app.GetConnectionStringAsync(name))!;

    /// <summary>
    /// Creates tenants through the API (16 at a time) and waits until all are active (or, with <paramref name="sleepingCounts"/>,
    /// already hibernated again: a scenario with a short idle time hibernates the first ones while the last are created).
    /// </summary>
    public async Task CreateTenantsAsync(IReadOnlyList<string> slugs, bool sleepingCounts = false)
    {
        using var admin = Admin();
        await Parallel.ForEachAsync(slugs, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (slug, ct) =>
        {
            using var response = await admin.PostAsJsonAsync("/api/tenants", new { slug, name = slug, tier = "standard" }, ct);
            response.EnsureSuccessStatusCode();
        });
        await WaitAllActiveAsync(slugs, sleepingCounts ? ["Active", "Hibernated"] : ["Active"]);
    }

    public async Task WaitAllActiveAsync(IReadOnlyList<string> slugs, string[]? statuses = null)
    {
        await using var connection = new NpgsqlConnection(Catalog);
        await connection.OpenAsync();
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (DateTime.UtcNow < deadline)
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM tenants WHERE slug = ANY($1) AND status = ANY($2)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = slugs.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = statuses ?? ["Active"] });
            if ((long)(await command.ExecuteScalarAsync())! == slugs.Count)
            {
                return;
            }
            await Task.Delay(2);
        }
        throw new TimeoutException("tenants did not become active");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try { Directory.Delete(_dataRoot, recursive: true); } catch (IOException) { }
    }
}
