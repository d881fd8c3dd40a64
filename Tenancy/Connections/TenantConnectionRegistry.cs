using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.Tenancy.Connections;

/// <summary>A request could not get a tenant connection within the budget's wait: the API answers 503 + Retry-After.</summary>
public sealed class ConnectionBudgetExhaustedException(string message) : Exception(message);

/// <summary>
/// One <see cref="NpgsqlDataSource"/> per tenant database, logged in as the tenant's own role, under a hard budget of physical
/// connections. Each data source reserves budget slots for the connections it may hold: one to start, one more each time the
/// tenant's concurrent requests outgrow them, up to <see cref="RegistryOptions.ConnectionsPerTenant"/> (so hot tenants get more,
/// the long tail one each). Requests never run more connections than their data source has slots, so Npgsql never opens more
/// than were reserved and the process never holds more than the budget. When the budget is full, an idle data source is
/// disposed (its connections close): among the least recently used few, the least frequently used one. Idle ones also expire on
/// a timer. Hand-written because neither Npgsql (one pool per connection string, never dropped, slow pruning) nor a
/// multi-tenancy library bounds connections across tenants.
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

    public static readonly ActivitySource Source = new(MeterName);
    private readonly Counter<long> _evictions;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _lookups;
    private readonly TenantTagLimiter _tags;
    private int _waiters;

    public TenantConnectionRegistry(IOptions<RegistryOptions> options, TenantCredentialProtector protector,
        IConfiguration configuration, TimeProvider clock, IMeterFactory meters, TenantTagLimiter tags)
    {
        _options = options.Value;
        _protector = protector;
        _configuration = configuration;
        _clock = clock;
        _tags = tags;
        _idleSweep = clock.CreateTimer(_ => _ = EvictIdleAsync(), null, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15));
        var meter = meters.Create(MeterName);
        _evictions = meter.CreateCounter<long>("tenantaspire.registry.evictions", description: "Data sources disposed (their connections closed), by reason and tenant.");
        _rejections = meter.CreateCounter<long>("tenantaspire.registry.rejections", description: "Requests refused with 503 for the connection budget, by tenant.");
        _lookups = meter.CreateCounter<long>("tenantaspire.registry.lookups", description: "Connection requests, by result: hit (the tenant's data source was live) or miss (created).");
        meter.CreateObservableGauge("tenantaspire.registry.data_sources", () => LiveDataSources, description: "Live tenant data sources.");
        meter.CreateObservableGauge("tenantaspire.registry.in_use", () => InUse, description: "Tenant connections checked out by requests.");
        meter.CreateObservableGauge("tenantaspire.registry.reserved", () => Snapshot().ConnectionsReserved, description: "Physical connections the live data sources may hold (budget slots taken).");
        meter.CreateObservableGauge("tenantaspire.registry.budget", () => _options.ConnectionBudget, description: "Physical connection budget.");
        meter.CreateObservableGauge("tenantaspire.registry.waiters", () => Volatile.Read(ref _waiters), description: "Requests waiting for a connection slot.");
    }

    private readonly Dictionary<Guid, int> _frequency = [];
    private int _accessesSinceAging;
    private int _slotsUsed;
    private long _hits, _misses, _evicted, _rejected;

    public int LiveDataSources { get { lock (_gate) { return _entries.Count; } } }

    /// <summary>Counters since start, for SREs and the load benchmark (GET /api/diagnostics/registry).</summary>
    public RegistrySnapshot Snapshot()
    {
        lock (_gate)
        {
            return new(_entries.Count, _entries.Values.Sum(e => e.InFlight), _slotsUsed, _options.ConnectionBudget,
                _hits, _misses, _evicted, _rejected);
        }
    }

    public int InUse { get { lock (_gate) { return _entries.Values.Sum(e => e.InFlight); } } }

    /// <summary>An open connection to the tenant's database; dispose it to give it back.</summary>
    public async Task<TenantConnectionLease> OpenAsync(TenantRoute tenant, CancellationToken ct)
    {
        using var activity = Source.StartActivity("tenant connection acquire");
        activity?.SetTag(TenantTelemetry.TenantIdKey, tenant.Slug);
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
            Reject(tenant);
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
        var counted = false;
        while (true)
        {
            var evicted = new List<Entry>();
            Task released;
            lock (_gate)
            {
                if (!counted)
                {
                    CountAccess(tenant.Id);
                    counted = true;
                }
                if (_entries.TryGetValue(tenant.Id, out var hit))
                {
                    // A connection already opened for this tenant is free, or the tenant may open one more.
                    if (hit.InFlight < hit.Slots || (hit.Slots < _options.ConnectionsPerTenant && TryReserveSlot(hit, evicted)))
                    {
                        if (hit.InFlight >= hit.Slots)
                        {
                            hit.Slots++;
                        }
                        Looked(hit: true);
                        DisposeLater(evicted, "capacity");
                        return Touch(hit);
                    }
                }
                else if (TryReserveSlot(null, evicted))
                {
                    Looked(hit: false);
                    var created = Create(tenant);
                    _entries.Add(tenant.Id, created);
                    created.Node = _recency.AddFirst(created);
                    DisposeLater(evicted, "capacity");
                    return Touch(created);
                }
                DisposeLater(evicted, "capacity");
                released = _released.Task;
            }
            // Every connection the budget allows is serving a request: wait for a release, until the deadline.
            var remaining = Remaining(deadline);
            if (remaining <= TimeSpan.Zero || !await WaitForReleaseAsync(released, remaining, ct))
            {
                ct.ThrowIfCancellationRequested();
                Reject(tenant);
                throw new ConnectionBudgetExhaustedException(
                    $"All {_options.ConnectionBudget} tenant connections are busy; tenant '{tenant.Slug}' waited {_options.AcquireTimeout.TotalSeconds:0.#} s.");
            }
        }
    }

    private async Task<bool> WaitForReleaseAsync(Task released, TimeSpan remaining, CancellationToken ct)
    {
        Interlocked.Increment(ref _waiters);
        try
        {
            return await Task.WhenAny(released, Task.Delay(remaining, _clock, ct)) == released;
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    private void Looked(bool hit)
    {
        if (hit)
        {
            _hits++;
        }
        else
        {
            _misses++;
        }
        _lookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));
        Activity.Current?.SetTag("registry.result", hit ? "hit" : "miss");
    }

    private void Reject(TenantRoute tenant)
    {
        Interlocked.Increment(ref _rejected);
        _rejections.Add(1, new KeyValuePair<string, object?>(TenantTelemetry.TenantIdKey, _tags.TagFor(tenant.Slug)));
    }

    /// <summary>
    /// One more physical connection within the budget: a free slot, or the slots of an idle data source, chosen among the
    /// least recently used few by lowest access frequency (sampled LFU: a one-off tail tenant goes before a warm hot one).
    /// </summary>
    private bool TryReserveSlot(Entry? growing, List<Entry> evicted)
    {
        while (_slotsUsed >= _options.ConnectionBudget)
        {
            Entry? victim = null;
            var sampled = 0;
            for (var node = _recency.Last; node is not null && sampled < EvictionSample; node = node.Previous)
            {
                var candidate = node.Value;
                if (candidate.InFlight > 0 || candidate == growing)
                {
                    continue;
                }
                sampled++;
                if (victim is null || Frequency(candidate.TenantId) < Frequency(victim.TenantId))
                {
                    victim = candidate;
                }
            }
            if (victim is null)
            {
                return false;
            }
            Remove(victim);
            evicted.Add(victim);
        }
        _slotsUsed++;
        return true;
    }

    private const int EvictionSample = 8;

    private void CountAccess(Guid tenantId)
    {
        _frequency[tenantId] = Frequency(tenantId) + 1;
        // Aging: halve every count now and then, so yesterday's hot tenant does not stay hot forever (and the map stays small).
        if (++_accessesSinceAging >= Math.Max(1000, _options.ConnectionBudget * 50))
        {
            _accessesSinceAging = 0;
            foreach (var key in _frequency.Keys.ToList())
            {
                var halved = _frequency[key] / 2;
                if (halved == 0)
                {
                    _frequency.Remove(key);
                }
                else
                {
                    _frequency[key] = halved;
                }
            }
        }
    }

    private int Frequency(Guid tenantId) => _frequency.GetValueOrDefault(tenantId);

    private void DisposeLater(List<Entry> evicted, string reason)
    {
        foreach (var entry in evicted)
        {
            _ = DisposeAsync(entry, reason);
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

    private void Remove(Entry entry)
    {
        _entries.Remove(entry.TenantId);
        _recency.Remove(entry.Node!);
        _slotsUsed -= entry.Slots;
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
        // Name = the tenant's metric value (its slug, or "other" past the cardinality cap): Npgsql tags its own metrics
        // (db.client.operation.duration, connection counts) with it. Spans carry the exact slug through the baggage.
        var source = new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = _tags.TagFor(tenant.Slug) }.Build();
        return new Entry(tenant.Id, tenant.Slug, source) { Slots = 1 };
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
        _evictions.Add(1, new KeyValuePair<string, object?>("reason", reason),
            new KeyValuePair<string, object?>(TenantTelemetry.TenantIdKey, _tags.TagFor(entry.Slug)));
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

        /// <summary>Physical connections this data source may hold (reserved from the budget); grows with concurrency.</summary>
        public int Slots { get; set; }
        public DateTimeOffset LastUsed { get; set; }
        public LinkedListNode<Entry>? Node { get; set; }
    }
}

public sealed record RegistrySnapshot(
    int LiveDataSources, int InUse, int ConnectionsReserved, int Budget, long Hits, long Misses, long Evictions, long Rejections);

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
