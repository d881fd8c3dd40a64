using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Telemetry;

/// <summary>
/// "What is tenant acme costing us?": measures tenant databases' sizes (<c>pg_database_size</c>) on a schedule
/// (<see cref="TelemetryOptions.DatabaseSizeInterval"/>), only where they may have changed (<see cref="SizeMeasurementPlan"/>),
/// never on the request path, and reports each tenant's last measurement as
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
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly Dictionary<string, SizeReading> _readings = new(StringComparer.Ordinal); // by server/database
    private IReadOnlyDictionary<string, long> _sizes = new Dictionary<string, long>();

    public DatabaseSizeCollector(IServiceScopeFactory scopes, ServerConnections connections, CatalogMigrationState migrations,
        IOptions<TelemetryOptions> options, TenantTagLimiter tags, IMeterFactory meters, TimeProvider clock, ILogger<DatabaseSizeCollector> logger)
    {
        _clock = clock;
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

    /// <summary>Measures what may have changed (<see cref="SizeMeasurementPlan"/>) and replaces the reported sizes.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CollectAsync(CancellationToken ct)
    {
        using var activity = ProvisioningTelemetry.Source.StartActivity("tenant database sizes");
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var tenants = await db.Tenants.AsNoTracking()
            .Where(t => Measured.Contains(t.Status))
            .Select(t => new { t.Slug, t.Server, t.DatabaseName })
            .ToListAsync(ct);

        await _pass.WaitAsync(ct); // the schedule and a caller (a test, an admin read) never interleave their readings
        try
        {
            var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
            var current = new HashSet<string>(StringComparer.Ordinal);
            var measured = 0;
            foreach (var server in tenants.GroupBy(t => t.Server))
            {
                var slugByDatabase = server.ToDictionary(t => t.DatabaseName, t => t.Slug, StringComparer.Ordinal);
                var writes = await ReadWritesAsync(server.Key, [.. slugByDatabase.Keys], ct);
                var due = SizeMeasurementPlan.Choose(writes.ToDictionary(w => Key(server.Key, w.Key), w => w.Value, StringComparer.Ordinal),
                    _readings, _clock.GetUtcNow(), _options.DatabaseSizeInterval, _options.DatabaseSizeRefresh);
                // pg_database_size walks the database's files: a few hundred stat() calls each. In batches with a pause between
                // them, so measuring thousands of tenants (the first pass) is a trickle of I/O, not a spike under the API's requests.
                foreach (var batch in due.Select(key => key[(server.Key.Length + 1)..]).Chunk(BatchSize))
                {
                    if (measured > 0)
                    {
                        await Task.Delay(BatchPause, ct);
                    }
                    var now = _clock.GetUtcNow();
                    foreach (var (database, bytes) in await MeasureAsync(server.Key, batch, ct))
                    {
                        _readings[Key(server.Key, database)] = new SizeReading(bytes, writes[database], now);
                    }
                    measured += batch.Length;
                }
                foreach (var (database, slug) in slugByDatabase)
                {
                    current.Add(Key(server.Key, database));
                    if (_readings.TryGetValue(Key(server.Key, database), out var reading))
                    {
                        sizes[slug] = reading.Bytes;
                    }
                }
            }
            foreach (var gone in _readings.Keys.Where(key => !current.Contains(key)).ToList())
            {
                _readings.Remove(gone);
            }
            activity?.SetTag("tenant.count", sizes.Count);
            activity?.SetTag("tenant.measured", measured);
            Volatile.Write(ref _sizes, sizes);
            await RecordServerBytesAsync(db, tenants.Select(t => (t.Server, t.Slug)), sizes, ct);
            return sizes;
        }
        finally
        {
            _pass.Release();
        }
    }

    private static string Key(string server, string database) => server + "/" + database;

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

    // pg_database_size cost ~2.8 ms per tenant database on a quiet server but ~12 ms while a fleet of 2,000 fell asleep
    // (docs/benchmarks.md, *An idle fleet*: a batch of 16 took 190.7 ms mean; batches of 4 then took 44.6 ms mean), so 4 per
    // statement keeps each near the 50 ms a worker pass's query may take. 2,000 unmeasured databases are then 500 batches with
    // a 100 ms pause each: over a minute for the first pass (an estimate from those rates, not timed).
    private const int BatchSize = 4;
    private static readonly TimeSpan BatchPause = TimeSpan.FromMilliseconds(100);

    /// <summary>Each database's rows written so far (-1 when it has no statistics yet): one read of the server's statistics.</summary>
    private async Task<Dictionary<string, long>> ReadWritesAsync(string server, string[] databases, CancellationToken ct)
    {
        await using var connection = await _connections.OpenProvisionerAsync(server, ct);
        await using var command = new NpgsqlCommand(
            "SELECT d, coalesce(s.tup_inserted + s.tup_updated + s.tup_deleted, -1) FROM unnest($1::text[]) d " +
            "LEFT JOIN pg_stat_database s ON s.datname = d", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = databases });
        var writes = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            writes[reader.GetString(0)] = reader.GetInt64(1);
        }
        return writes;
    }

    private async Task<List<(string Database, long Bytes)>> MeasureAsync(string server, string[] databases, CancellationToken ct)
    {
        // The provisioner is a member of every tenant role (the database owners), which is what pg_database_size asks for.
        await using var connection = await _connections.OpenProvisionerAsync(server, ct);
        await using var command = new NpgsqlCommand(
            "SELECT datname, pg_database_size(oid) FROM pg_database WHERE datname = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = databases });
        var sizes = new List<(string, long)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            sizes.Add((reader.GetString(0), reader.GetInt64(1)));
        }
        return sizes;
    }

    private IEnumerable<Measurement<long>> Observe() =>
        LatestSizes.GroupBy(size => _tags.TagFor(size.Key), StringComparer.Ordinal)
            .Select(group => new Measurement<long>(group.Sum(size => size.Value),
                new KeyValuePair<string, object?>(TenantTelemetry.TenantIdKey, group.Key)));
}
