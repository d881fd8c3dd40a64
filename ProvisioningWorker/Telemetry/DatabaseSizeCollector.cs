using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Telemetry;

/// <summary>
/// "What is tenant acme costing us?": measures every tenant database's size (<c>pg_database_size</c>, one query per server) on a
/// schedule (<see cref="TelemetryOptions.DatabaseSizeInterval"/>), never on the request path, and reports the last measurement as
/// the gauge <c>tenantaspire.tenant.database.size</c> (bytes) by <c>tenant.id</c>; tenants past the cardinality cap are summed
/// into <c>other</c>. Tenants that are gone or still provisioning are not reported.
/// </summary>
public sealed class DatabaseSizeCollector : BackgroundService
{
    public const string MeterName = "TenantAspire.Tenants";
    private static readonly TenantStatus[] Measured = [TenantStatus.Active, TenantStatus.Suspended, TenantStatus.Hibernated];

    private readonly IServiceScopeFactory _scopes;
    private readonly ServerConnections _connections;
    private readonly CatalogMigrationState _migrations;
    private readonly TelemetryOptions _options;
    private readonly TenantTagLimiter _tags;
    private readonly ILogger<DatabaseSizeCollector> _logger;
    private IReadOnlyDictionary<string, long> _sizes = new Dictionary<string, long>();

    public DatabaseSizeCollector(IServiceScopeFactory scopes, ServerConnections connections, CatalogMigrationState migrations,
        IOptions<TelemetryOptions> options, TenantTagLimiter tags, IMeterFactory meters, ILogger<DatabaseSizeCollector> logger)
    {
        _scopes = scopes;
        _connections = connections;
        _migrations = migrations;
        _options = options.Value;
        _tags = tags;
        _logger = logger;
        meters.Create(MeterName).CreateObservableGauge("tenantaspire.tenant.database.size", Observe, unit: "By",
            description: "Size of each tenant's database at the last measurement (pg_database_size).");
    }

    /// <summary>Slug → bytes, from the last measurement.</summary>
    public IReadOnlyDictionary<string, long> LatestSizes => Volatile.Read(ref _sizes);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _migrations.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(_options.DatabaseSizeInterval);
        do
        {
            try
            {
                await CollectAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                _logger.LogWarning(e, "Measuring tenant database sizes failed; the gauge keeps the previous measurement");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Measures now and replaces the reported sizes.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CollectAsync(CancellationToken ct)
    {
        using var activity = ProvisioningTelemetry.Source.StartActivity("tenant database sizes");
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var tenants = await db.Tenants.AsNoTracking()
            .Where(t => Measured.Contains(t.Status))
            .Select(t => new { t.Slug, t.Server, t.DatabaseName })
            .ToListAsync(ct);

        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var server in tenants.GroupBy(t => t.Server))
        {
            var slugByDatabase = server.ToDictionary(t => t.DatabaseName, t => t.Slug, StringComparer.Ordinal);
            // pg_database_size walks the database's files: a few hundred stat() calls each. In batches with a pause between
            // them, so measuring thousands of tenants is a trickle of I/O, not a spike under the API's requests.
            foreach (var batch in slugByDatabase.Keys.Chunk(BatchSize))
            {
                if (sizes.Count > 0)
                {
                    await Task.Delay(BatchPause, ct);
                }
                await MeasureAsync(server.Key, batch, slugByDatabase, sizes, ct);
            }
        }
        activity?.SetTag("tenant.count", sizes.Count);
        Volatile.Write(ref _sizes, sizes);
        await RecordServerBytesAsync(db, tenants.Select(t => (t.Server, t.Slug)), sizes, ct);
        return sizes;
    }

    /// <summary>Each server's total into the catalog's <c>servers.bytes</c>: placement's tie-breaker, and GET /api/servers shows it.</summary>
    private static async Task RecordServerBytesAsync(CatalogDbContext db, IEnumerable<(string Server, string Slug)> tenants,
        Dictionary<string, long> sizes, CancellationToken ct)
    {
        var bytes = tenants.GroupBy(t => t.Server).ToDictionary(g => g.Key, g => g.Sum(t => sizes.GetValueOrDefault(t.Slug)), StringComparer.Ordinal);
        foreach (var server in await db.Servers.ToListAsync(ct))
        {
            server.Bytes = bytes.GetValueOrDefault(server.Name);
        }
        await db.SaveChangesAsync(ct);
    }

    private const int BatchSize = 100;
    private static readonly TimeSpan BatchPause = TimeSpan.FromMilliseconds(100);

    private async Task MeasureAsync(string server, string[] databases, Dictionary<string, string> slugByDatabase,
        Dictionary<string, long> sizes, CancellationToken ct)
    {
        // The provisioner is a member of every tenant role (the database owners), which is what pg_database_size asks for.
        await using var connection = await _connections.OpenProvisionerAsync(server, ct);
        await using var command = new NpgsqlCommand(
            "SELECT datname, pg_database_size(oid) FROM pg_database WHERE datname = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = databases });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            sizes[slugByDatabase[reader.GetString(0)]] = reader.GetInt64(1);
        }
    }

    private IEnumerable<Measurement<long>> Observe() =>
        LatestSizes.GroupBy(size => _tags.TagFor(size.Key), StringComparer.Ordinal)
            .Select(group => new Measurement<long>(group.Sum(size => size.Value),
                new KeyValuePair<string, object?>(TenantTelemetry.TenantIdKey, group.Key)));
}
