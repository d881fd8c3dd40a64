using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TenantAspire.ProvisioningWorker.Telemetry;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tenancy.Sql;
using TenantAspire.TenantApi.Tenants;
using TenantAspire.TestSupport;

namespace TenantAspire.Tests.Infrastructure;

/// <summary>
/// The real API and worker, hosted inside the test process (WebApplicationFactory) against the suite's real Postgres and Redis,
/// with OpenTelemetry's in-memory exporters attached, so a test can read the spans and metrics they emit. They use a catalog
/// database of their own, so their worker is the only one that runs their operations (the stack's workers never see them).
/// Shared by the whole suite: only the telemetry scenario sends tenant requests through this API, because the first tenants to
/// do so take the <see cref="AspireAppFixture.InProcessTenantTagCap"/> metric values its test asserts on.
/// </summary>
public sealed class InProcessHosts : IAsyncDisposable
{
    private readonly HostFactory<TenantResolutionFilter> _api;
    private readonly HostFactory<DatabaseSizeCollector> _worker;

    private readonly string _catalog;

    private InProcessHosts(HostFactory<TenantResolutionFilter> api, HostFactory<DatabaseSizeCollector> worker, string signingKey, string catalog)
    {
        _api = api;
        _worker = worker;
        SigningKey = signingKey;
        _catalog = catalog;
    }

    /// <summary>The tenant's database name, from this catalog.</summary>
    public async Task<string> DatabaseNameAsync(string slug)
    {
        await using var connection = new NpgsqlConnection(_catalog);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT database_name FROM tenants WHERE slug = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = slug });
        return (string)(await command.ExecuteScalarAsync() ?? throw new InvalidOperationException($"no tenant {slug}"));
    }

    public InMemoryTelemetry Api => _api.Telemetry;
    public InMemoryTelemetry Worker => _worker.Telemetry;
    public IServiceProvider WorkerServices => _worker.Services;
    public string SigningKey { get; }

    public static async Task<InProcessHosts> StartAsync(AspireAppFixture fixture, int apiTenantTagCap)
    {
        // The AppHost creates the stack's catalog database; this one is ours to create.
        var catalogName = "catalog_inproc_" + Guid.NewGuid().ToString("N")[..8];
        await using (var server = new NpgsqlConnection(await fixture.ConnectionStringAsync("postgres")))
        {
            await server.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {SqlIdentifier.Quote(catalogName)}", server);
            await create.ExecuteNonQueryAsync();
        }
        var catalog = new NpgsqlConnectionStringBuilder(await fixture.ConnectionStringAsync("catalog")) { Database = catalogName }.ConnectionString;
        var redis = await fixture.ConnectionStringAsync("redis");
        var blobs = await fixture.ConnectionStringAsync("blobs");
        var servers = TestServers.Topology(await fixture.ConnectionStringAsync("postgres"));
        var worker = new HostFactory<DatabaseSizeCollector>(new(servers)
        {
            ["ConnectionStrings:catalog"] = catalog,
            ["ConnectionStrings:redis"] = redis,
            ["ConnectionStrings:blobs"] = blobs,
            ["Blobs:CaCertificate"] = await fixture.BlobStoreAuthorityAsync(),
            ["Backups:Scheduled"] = "false", // the stack's own tenants are not this catalog's
            ["OTEL_SERVICE_NAME"] = "provisioning-worker-inproc",
            ["Provisioning:SpareDatabases"] = "0", // spares are server-wide; the stack's workers keep theirs
            ["Demo:Seed"] = "false",
        });
        // The worker migrates the catalog: wait for it before the API reads it.
        using (var client = worker.CreateClient())
        {
            await Eventually.TrueAsync(async () => (await client.GetAsync("/health")).IsSuccessStatusCode, TimeSpan.FromSeconds(60));
        }
        var api = new HostFactory<TenantResolutionFilter>(new(servers)
        {
            ["ConnectionStrings:catalog"] = catalog,
            ["ConnectionStrings:redis"] = redis,
            ["ConnectionStrings:blobs"] = blobs,
            ["Blobs:CaCertificate"] = await fixture.BlobStoreAuthorityAsync(),
            ["Auth:DevSigningKey"] = fixture.SigningKey,
            // Not "tenant-api": the stack's tests count that application's backends in pg_stat_activity.
            ["OTEL_SERVICE_NAME"] = "tenant-api-inproc",
            ["Telemetry:MaxTenantTagValues"] = apiTenantTagCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        return new InProcessHosts(api, worker, fixture.SigningKey, catalog);
    }

    public HttpClient ApiAs(string? tenant, params string[] roles)
    {
        var client = _api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", DevTokenIssuer.Mint(SigningKey, tenant, roles, TimeSpan.FromMinutes(30)));
        return client;
    }

    /// <summary>Exports every metric now (both hosts), after dropping earlier exports.</summary>
    public void FlushMetrics()
    {
        foreach (var host in new IHostFactory[] { _api, _worker })
        {
            host.Telemetry.Metrics.Clear();
            host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        await _worker.DisposeAsync();
    }

    private interface IHostFactory
    {
        InMemoryTelemetry Telemetry { get; }
        IServiceProvider Services { get; }
    }

    /// <summary>The shared in-process host with OpenTelemetry's in-memory exporters attached.</summary>
    private sealed class HostFactory<TEntryPoint>(Dictionary<string, string?> settings) : SettingsWebHost<TEntryPoint>(settings), IHostFactory
        where TEntryPoint : class
    {
        public InMemoryTelemetry Telemetry { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddOpenTelemetry()
                .WithTracing(tracing => tracing.AddInMemoryExporter(Telemetry.Spans))
                .WithMetrics(metrics => metrics.AddInMemoryExporter(Telemetry.Metrics))
                .WithLogging(logging => logging.AddProcessor(new LogCapture(Telemetry.Logs))));
        }
    }
}
