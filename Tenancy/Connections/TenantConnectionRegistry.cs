using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.Tenancy.Connections;

/// <summary>A request could not get a tenant connection within the budget's wait: the API answers 503 + Retry-After.</summary>
public sealed class ConnectionBudgetExhaustedException(string message) : Exception(message);

/// <summary>
/// One <see cref="NpgsqlDataSource"/> per tenant database, logged in as the tenant's own role, and a hard bound on physical
/// connections: each data source's pool is <see cref="RegistryOptions.ConnectionsPerTenant"/> and at most
/// <see cref="RegistryOptions.Capacity"/> data sources live at once, so the process never holds more than the budget. A tenant that
/// needs a slot evicts the least recently used idle one (disposed, so its connections close); idle ones also expire on a timer.
/// Hand-written because neither Npgsql (one pool per connection string, never dropped, slow pruning) nor a multi-tenancy library
/// bounds connections across tenants.
/// </summary>
public sealed class TenantConnectionRegistry : IAsyncDisposable
{
    public const string MeterName = "TenantAspire.ConnectionRegistry";

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Entry> _entries = [];
    private readonly LinkedList<Entry> _recency = []; // most recently used first
    private readonly RegistryOptions _options;
    private readonly TenantCredentialProtector _protector;
    private readonly IConfiguration _configuration;
    private readonly TimeProvider _clock;
    private readonly ITimer _idleSweep;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Evictions = Meter.CreateCounter<long>("tenantaspire.registry.evictions", description: "Data sources disposed, by reason.");
    private static readonly Counter<long> Rejections = Meter.CreateCounter<long>("tenantaspire.registry.rejections", description: "Requests refused with 503 for the connection budget.");
    private static readonly Counter<long> Lookups = Meter.CreateCounter<long>("tenantaspire.registry.lookups", description: "Data source lookups, by hit or miss.");

    public TenantConnectionRegistry(IOptions<RegistryOptions> options, TenantCredentialProtector protector,
        IConfiguration configuration, TimeProvider clock)
    {
        _options = options.Value;
        _protector = protector;
        _configuration = configuration;
        _clock = clock;
        _idleSweep = clock.CreateTimer(_ => _ = EvictIdleAsync(), null, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15));
        Meter.CreateObservableGauge("tenantaspire.registry.data_sources", () => LiveDataSources, description: "Live tenant data sources.");
        Meter.CreateObservableGauge("tenantaspire.registry.in_use", () => InUse, description: "Tenant connections checked out.");
        Meter.CreateObservableGauge("tenantaspire.registry.budget", () => _options.ConnectionBudget, description: "Physical connection budget.");
    }

    private long _hits, _misses, _evicted, _rejected;

    public int LiveDataSources { get { lock (_gate) { return _entries.Count; } } }

    /// <summary>Counters since start, for SREs and the load benchmark (GET /api/diagnostics/registry).</summary>
    public RegistrySnapshot Snapshot()
    {
        lock (_gate)
        {
            return new(_entries.Count, _entries.Values.Sum(e => e.InFlight), _options.Capacity, _options.ConnectionBudget,
                _hits, _misses, _evicted, _rejected);
        }
    }

    public int InUse { get { lock (_gate) { return _entries.Values.Sum(e => e.InFlight); } } }

    /// <summary>An open connection to the tenant's database; dispose it to give it back.</summary>
    public async Task<TenantConnectionLease> OpenAsync(TenantRoute tenant, CancellationToken ct)
    {
        var deadline = _clock.GetUtcNow() + _options.AcquireTimeout;
        var entry = await AcquireEntryAsync(tenant, deadline, ct);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Remaining(deadline));
            var connection = await entry.Source.OpenConnectionAsync(timeout.Token);
            return new TenantConnectionLease(this, entry, connection);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is OperationCanceledException or NpgsqlException { InnerException: TimeoutException })
        {
            Release(entry);
            Rejections.Add(1);
            Interlocked.Increment(ref _rejected);
            throw new ConnectionBudgetExhaustedException($"No connection for tenant '{tenant.Slug}' within {_options.AcquireTimeout.TotalSeconds:0.#} s.");
        }
        catch
        {
            Release(entry);
            throw;
        }
    }

    private async Task<Entry> AcquireEntryAsync(TenantRoute tenant, DateTimeOffset deadline, CancellationToken ct)
    {
        while (true)
        {
            Entry? evicted = null;
            Task released;
            lock (_gate)
            {
                if (_entries.TryGetValue(tenant.Id, out var hit))
                {
                    Lookups.Add(1, new KeyValuePair<string, object?>("result", "hit"));
                    _hits++;
                    return Touch(hit);
                }
                if (_entries.Count >= _options.Capacity)
                {
                    evicted = LeastRecentlyUsedIdle();
                    if (evicted is not null)
                    {
                        Remove(evicted);
                    }
                }
                if (_entries.Count < _options.Capacity)
                {
                    Lookups.Add(1, new KeyValuePair<string, object?>("result", "miss"));
                    _misses++;
                    var created = Create(tenant);
                    _entries.Add(tenant.Id, created);
                    created.Node = _recency.AddFirst(created);
                    if (evicted is not null)
                    {
                        _ = DisposeAsync(evicted, "capacity");
                    }
                    return Touch(created);
                }
                released = _released.Task;
            }
            // Every slot is busy serving a request: wait for one to be released, until the deadline.
            var remaining = Remaining(deadline);
            if (remaining <= TimeSpan.Zero || await Task.WhenAny(released, Task.Delay(remaining, _clock, ct)) != released)
            {
                ct.ThrowIfCancellationRequested();
                Rejections.Add(1);
                Interlocked.Increment(ref _rejected);
                throw new ConnectionBudgetExhaustedException(
                    $"All {_options.Capacity} tenant connection slots are busy; tenant '{tenant.Slug}' waited {_options.AcquireTimeout.TotalSeconds:0.#} s.");
            }
        }
    }

    internal void Release(Entry entry)
    {
        lock (_gate)
        {
            entry.InFlight--;
            entry.LastUsed = _clock.GetUtcNow();
            var signal = _released;
            _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
            signal.TrySetResult();
        }
    }

    private Entry Touch(Entry entry)
    {
        entry.InFlight++;
        entry.LastUsed = _clock.GetUtcNow();
        _recency.Remove(entry.Node!);
        _recency.AddFirst(entry.Node!);
        return entry;
    }

    private Entry? LeastRecentlyUsedIdle()
    {
        for (var node = _recency.Last; node is not null; node = node.Previous)
        {
            if (node.Value.InFlight == 0)
            {
                return node.Value;
            }
        }
        return null;
    }

    private void Remove(Entry entry)
    {
        _entries.Remove(entry.TenantId);
        _recency.Remove(entry.Node!);
    }

    private Entry Create(TenantRoute tenant)
    {
        var server = _configuration.GetConnectionString(tenant.Server) ?? _configuration.GetConnectionString(CatalogRegistration.CatalogConnectionName)
            ?? throw new InvalidOperationException($"No connection string for server '{tenant.Server}'.");
        var builder = new NpgsqlConnectionStringBuilder(server)
        {
            Database = tenant.DatabaseName,
            Username = tenant.RoleName,
            Password = _protector.Unprotect(tenant.ProtectedPassword ?? throw new InvalidOperationException($"Tenant '{tenant.Slug}' has no credentials.")),
            MaxPoolSize = _options.ConnectionsPerTenant,
            MinPoolSize = 0,
            ConnectionIdleLifetime = _options.ConnectionIdleLifetimeSeconds,
            Timeout = Math.Max(1, (int)Math.Ceiling(_options.AcquireTimeout.TotalSeconds)),
            // The service name (tenant-api, or a replica's own) lets pg_stat_activity say which process holds a connection.
            ApplicationName = _configuration["OTEL_SERVICE_NAME"] ?? "tenant-api",
        };
        // Name = slug: Npgsql's own metrics and traces then say which tenant.
        var source = new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = tenant.Slug }.Build();
        return new Entry(tenant.Id, tenant.Slug, source);
    }

    private async Task EvictIdleAsync()
    {
        List<Entry> idle;
        lock (_gate)
        {
            var cutoff = _clock.GetUtcNow() - _options.IdleTimeout;
            idle = [.. _entries.Values.Where(e => e.InFlight == 0 && e.LastUsed < cutoff)];
            idle.ForEach(Remove);
        }
        foreach (var entry in idle)
        {
            await DisposeAsync(entry, "idle");
        }
    }

    /// <summary>Drops a tenant's data source now (suspended, deleted, moved); in-flight requests finish on their connection.</summary>
    public async Task EvictAsync(Guid tenantId)
    {
        Entry? entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(tenantId, out entry) || entry.InFlight > 0)
            {
                return;
            }
            Remove(entry);
        }
        await DisposeAsync(entry, "invalidated");
    }

    private async Task DisposeAsync(Entry entry, string reason)
    {
        Interlocked.Increment(ref _evicted);
        Evictions.Add(1, new KeyValuePair<string, object?>("reason", reason));
        await entry.Source.DisposeAsync();
    }

    private TimeSpan Remaining(DateTimeOffset deadline)
    {
        var left = deadline - _clock.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    public async ValueTask DisposeAsync()
    {
        await _idleSweep.DisposeAsync();
        List<Entry> all;
        lock (_gate)
        {
            all = [.. _entries.Values];
            _entries.Clear();
            _recency.Clear();
        }
        foreach (var entry in all)
        {
            await entry.Source.DisposeAsync();
        }
    }

    internal sealed class Entry(Guid tenantId, string slug, NpgsqlDataSource source)
    {
        public Guid TenantId { get; } = tenantId;
        public string Slug { get; } = slug;
        public NpgsqlDataSource Source { get; } = source;
        public int InFlight { get; set; }
        public DateTimeOffset LastUsed { get; set; }
        public LinkedListNode<Entry>? Node { get; set; }
    }
}

public sealed record RegistrySnapshot(
    int LiveDataSources, int InUse, int Capacity, int Budget, long Hits, long Misses, long Evictions, long Rejections);

public sealed class TenantConnectionLease : IAsyncDisposable
{
    private readonly TenantConnectionRegistry _registry;
    private readonly TenantConnectionRegistry.Entry _entry;
    private int _disposed;

    internal TenantConnectionLease(TenantConnectionRegistry registry, TenantConnectionRegistry.Entry entry, NpgsqlConnection connection)
    {
        _registry = registry;
        _entry = entry;
        Connection = connection;
    }

    public NpgsqlConnection Connection { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Connection.DisposeAsync();
            _registry.Release(_entry);
        }
    }
}
