using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Servers;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.Tenancy.Connections;

/// <summary>
/// Tenant connections, one <see cref="ServerConnectionPool"/> per Postgres server, each under this process's share of that
/// server's budget: the server's <see cref="ServerDefinition.ConnectionBudget"/> divided by the number of API replicas
/// (<see cref="ServerOptions.ApiReplicas"/>), capped by <see cref="RegistryOptions.ConnectionBudget"/>. Every replica holds at
/// most its share, so all replicas together never pass the server's budget and Postgres never answers <c>53300 too many
/// clients</c>, however busy one server's tenants are; a busy server's tenants cannot take another server's connections either.
/// </summary>
public sealed class TenantConnectionRegistry : IAsyncDisposable
{
    public const string MeterName = "TenantAspire.ConnectionRegistry";
    public static readonly ActivitySource Source = new(MeterName);

    private readonly ConcurrentDictionary<string, Lazy<ServerConnectionPool>> _pools = new(StringComparer.Ordinal);
    // Where each tenant's connections were last opened: server and database (a restore swaps in a database of another name).
    private readonly ConcurrentDictionary<Guid, (string Server, string Database)> _placeOf = new();
    private readonly RegistryOptions _options;
    private readonly ServerResolver _servers;
    private readonly TenantDataSources _sources;
    private readonly BackendExits _exits;
    private readonly TimeProvider _clock;
    private readonly TenantTagLimiter _tags;
    private readonly RegistryInstruments _instruments;

    /// <param name="sources">Builds each tenant's data source (its database, its role).</param>
    /// <param name="exits">Tells when a closed one-off connection's backend has left the server (shared by every server's pool).</param>
    public TenantConnectionRegistry(IOptions<RegistryOptions> options, ServerResolver servers, TenantDataSources sources,
        BackendExits exits, TimeProvider clock, IMeterFactory meters, TenantTagLimiter tags)
    {
        _options = options.Value;
        _servers = servers;
        _sources = sources;
        _exits = exits;
        _clock = clock;
        _tags = tags;
        var meter = meters.Create(MeterName);
        _instruments = new RegistryInstruments(meter);
        meter.CreateObservableGauge("tenantaspire.registry.data_sources", () => PerServer(p => p.LiveDataSources), description: "Live tenant data sources, by server.");
        meter.CreateObservableGauge("tenantaspire.registry.in_use", () => PerServer(p => p.InUse), description: "Tenant connections checked out by requests (main region and window), by server.");
        meter.CreateObservableGauge("tenantaspire.registry.reserved", () => PerServer(p => p.Snapshot().ConnectionsReserved), description: "Physical connections the live data sources may hold (main-region slots taken), by server.");
        meter.CreateObservableGauge("tenantaspire.registry.budget", () => PerServer(p => p.Budget), description: "This process's physical connection budget (main region + admission window), by server.");
        meter.CreateObservableGauge("tenantaspire.registry.waiters", () => PerServer(p => p.Waiters), description: "Requests waiting for a connection slot, by server.");
    }

    /// <summary>This process's budget on <paramref name="server"/>: its share of the server's budget, capped by the option.</summary>
    public int BudgetFor(string server) => Math.Min(_options.ConnectionBudget, _servers.BudgetShare(server));

    /// <summary>
    /// An open connection to the tenant's database, on its server; dispose it to give it back. A tenant seen on another server
    /// before (it moved) has its data source there closed, so the old server's budget slots are not held until the idle sweep; a
    /// tenant seen on another database of the same server (a restore swapped it) has its data source replaced before this open.
    /// </summary>
    public async Task<TenantConnectionLease> OpenAsync(TenantRoute tenant, CancellationToken ct)
    {
        var pool = Pool(tenant.Server);
        if (_placeOf.TryGetValue(tenant.Id, out var before) && before != (tenant.Server, tenant.DatabaseName))
        {
            if (before.Server == tenant.Server)
            {
                await pool.EvictAsync(tenant.Id); // its pooled connections point at the replaced database (closed by the swap)
            }
            else if (_pools.TryGetValue(before.Server, out var old) && old.IsValueCreated)
            {
                // Off the request path: closing the old data source and its grace are the old server's business.
                using (ExecutionContext.SuppressFlow())
                {
                    _ = Task.Run(() => old.Value.EvictAsync(tenant.Id), CancellationToken.None);
                }
            }
        }
        _placeOf[tenant.Id] = (tenant.Server, tenant.DatabaseName);
        return await pool.OpenAsync(tenant, ct);
    }

    /// <summary>Closes the tenant's data source on every server (it moved, hibernated or was suspended).</summary>
    public async Task EvictAsync(Guid tenantId)
    {
        foreach (var pool in Live())
        {
            await pool.EvictAsync(tenantId);
        }
    }

    /// <summary>All servers together (GET /api/diagnostics/registry); <see cref="RegistrySnapshot.Servers"/> has each.</summary>
    public RegistrySnapshot Snapshot()
    {
        var each = Live().Select(p => p.Snapshot()).ToList();
        return new(each.Sum(s => s.LiveDataSources), each.Sum(s => s.InUse), each.Sum(s => s.ConnectionsReserved),
            each.Sum(s => s.TransientInUse), each.Sum(s => s.Budget), each.Sum(s => s.AdmissionWindow), each.Sum(s => s.Hits),
            each.Sum(s => s.Grows), each.Sum(s => s.Misses), each.Sum(s => s.Transients), each.Sum(s => s.Evictions),
            each.Sum(s => s.Rejections))
        { Servers = each.ToDictionary(s => s.Server!, s => s with { Server = null }, StringComparer.Ordinal) };
    }

    // Unknown servers throw here (ServerResolver), never fall back to another server.
    private ServerConnectionPool Pool(string server) => _pools.GetOrAdd(server, s => new(() => NewPool(s))).Value;

    private ServerConnectionPool NewPool(string server)
    {
        var options = _options.WithBudget(BudgetFor(server));
        return new ServerConnectionPool(server, options, AdmissionPolicy.For(options, _clock), _sources, _exits, _clock,
            new PoolCounters(_instruments, _tags));
    }

    private IEnumerable<ServerConnectionPool> Live() => _pools.Values.Where(l => l.IsValueCreated).Select(l => l.Value);

    private IEnumerable<Measurement<int>> PerServer(Func<ServerConnectionPool, int> value) =>
        Live().Select(p => new Measurement<int>(value(p), new KeyValuePair<string, object?>("server", p.Server)));

    public async ValueTask DisposeAsync()
    {
        foreach (var pool in Live())
        {
            await pool.DisposeAsync();
        }
        // The exit probes are injected: the container disposes them after this registry (it built them first).
    }
}
