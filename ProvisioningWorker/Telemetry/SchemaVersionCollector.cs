using System.Diagnostics.Metrics;
using Npgsql;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Telemetry;

/// <summary>
/// The gauge an SRE watches during a rollout: <c>tenantaspire.tenants.schema_version</c>, tenants per schema version (tag
/// <c>schema.version</c>; "none" for tenants still provisioning), from one catalog query every <see cref="Interval"/>. The versions
/// are the code's migration ids, so the series count is bounded by the migrations in flight, not by tenants. Every worker replica
/// reports the same fleet: read it per instance (or take the max), not summed.
/// </summary>
public sealed class SchemaVersionCollector : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TenantStatus[] Counted =
        [TenantStatus.Provisioning, TenantStatus.Active, TenantStatus.Suspended, TenantStatus.Hibernated];

    private readonly IServiceScopeFactory _scopes;
    private readonly CatalogMigrationState _migrations;
    private readonly ILogger<SchemaVersionCollector> _logger;
    private IReadOnlyDictionary<string, int> _counts = new Dictionary<string, int>();

    public SchemaVersionCollector(IServiceScopeFactory scopes, CatalogMigrationState migrations, IMeterFactory meters,
        ILogger<SchemaVersionCollector> logger)
    {
        _scopes = scopes;
        _migrations = migrations;
        _logger = logger;
        meters.Create(DatabaseSizeCollector.MeterName).CreateObservableGauge("tenantaspire.tenants.schema_version", Observe, unit: "{tenant}",
            description: "Tenants per schema version (their newest applied tenant migration).");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _migrations.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await using var scope = _scopes.CreateAsyncScope();
                var counts = await scope.ServiceProvider.GetRequiredService<CatalogDbContext>().Tenants.AsNoTracking()
                    .Where(t => Counted.Contains(t.Status))
                    .GroupBy(t => t.SchemaVersion ?? "none")
                    .Select(g => new { Version = g.Key, N = g.Count() })
                    .ToDictionaryAsync(g => g.Version, g => g.N, stoppingToken);
                Volatile.Write(ref _counts, counts);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                _logger.LogWarning(e, "Counting tenants per schema version failed; the gauge keeps the previous count");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private IEnumerable<Measurement<int>> Observe() =>
        Volatile.Read(ref _counts).Select(c => new Measurement<int>(c.Value, new KeyValuePair<string, object?>("schema.version", c.Key)));
}
