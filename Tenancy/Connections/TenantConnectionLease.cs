using Npgsql;

namespace TenantAspire.Tenancy.Connections;

/// <summary>An open connection to one tenant's database; dispose it to give it back to the registry.</summary>
public sealed class TenantConnectionLease : IAsyncDisposable
{
    private readonly ServerConnectionPool _registry;
    private readonly ServerConnectionPool.Entry _entry;
    private int _disposed;

    internal TenantConnectionLease(ServerConnectionPool registry, ServerConnectionPool.Entry entry, NpgsqlConnection connection)
    {
        _registry = registry;
        _entry = entry;
        Connection = connection;
        _backendPid = connection.ProcessID; // known while open; the registry waits for this backend to exit after a one-off close
    }

    private readonly int _backendPid;

    public NpgsqlConnection Connection { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // A connection broken by the server (hibernate or delete ended its session, a restart) means its idle siblings in
            // the pool are dead too: drop them, so the next request opens a fresh one instead of failing on a stale one.
            var broken = Connection.FullState.HasFlag(System.Data.ConnectionState.Broken);
            await Connection.DisposeAsync();
            if (broken && !_entry.Transient)
            {
                _entry.Source.Clear();
            }
            await _registry.ReleaseAsync(_entry, _backendPid);
        }
    }
}

/// <summary>
/// Counters since start (GET /api/diagnostics/registry). Every request is exactly one of: a hit (an open connection of its
/// tenant's live data source), a grow (the live data source opens one more connection), a miss (a new data source was admitted)
/// or a transient (not admitted: served on a one-off connection from the admission window). Only hits need no new connection.
/// </summary>
public sealed record RegistrySnapshot(
    int LiveDataSources, int InUse, int ConnectionsReserved, int TransientInUse, int Budget, int AdmissionWindow,
    long Hits, long Grows, long Misses, long Transients, long Evictions, long Rejections)
{
    /// <summary>Set on one server's snapshot.</summary>
    public string? Server { get; init; }

    /// <summary>Per server (on the registry's whole snapshot).</summary>
    public IReadOnlyDictionary<string, RegistrySnapshot>? Servers { get; init; }
}
