using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Servers;

namespace TenantAspire.Tenancy.Connections;

/// <summary>
/// Waits until a closed connection's server process has left <c>pg_stat_activity</c>: a backend exits a moment after its
/// client closed (how long is in docs/architecture.md, *Design notes*), and until then it still counts against the server's
/// connections. The registry hands a one-off connection's budget slot on only after this, so Postgres
/// never sees more than the budget, without holding every slot for a worst-case grace. One probe connection per server polls all pending backends in one query every <see cref="RegistryOptions.BackendExitPollInterval"/>
/// while any are pending. Hand-written: neither Npgsql nor Postgres tells a client when the backend it closed is gone.
/// </summary>
public sealed class BackendExits(ServerResolver servers, IOptions<RegistryOptions> options) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ServerProbe> _servers = new(StringComparer.Ordinal);

    /// <summary>Completes when backend <paramref name="pid"/> on <paramref name="server"/> is gone (or after the give-up time).</summary>
    public Task WaitAsync(string server, int pid) =>
        pid == 0 ? Task.CompletedTask : _servers.GetOrAdd(server, s => new ServerProbe(ConnectionString(s), options.Value)).WaitAsync(pid);

    private string ConnectionString(string server)
    {
        var builder = servers.Endpoint(server);
        builder.MaxPoolSize = 1;
        builder.ApplicationName = "tenant-api-exit-probe";
        return builder.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var probe in _servers.Values)
        {
            await probe.DisposeAsync();
        }
    }

    private sealed class ServerProbe(string connectionString, RegistryOptions options) : IAsyncDisposable
    {
        private readonly TimeSpan _giveUpAfter = options.BackendExitGiveUp;
        private readonly TimeSpan _pollInterval = options.BackendExitPollInterval;
        private readonly NpgsqlDataSource _source = Untraced(connectionString);
        private readonly Lock _gate = new();
        private readonly Dictionary<int, (TaskCompletionSource Exited, long Since)> _pending = [];
        private readonly CancellationTokenSource _stop = new();
        private Task? _loop;

        public Task WaitAsync(int pid)
        {
            lock (_gate)
            {
                if (!_pending.TryGetValue(pid, out var waiter))
                {
                    waiter = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), Environment.TickCount64);
                    _pending[pid] = waiter;
                }
                if (_loop is null || _loop.IsCompleted)
                {
                    // The loop is the registry's own work, not the request's that happened to start it: it must not inherit
                    // that request's Activity or its tenant.id baggage.
                    using (ExecutionContext.SuppressFlow())
                    {
                        _loop = Task.Run(PollAsync);
                    }
                }
                return waiter.Exited.Task;
            }
        }

        // Polled every few milliseconds while exits are pending: a span per poll would flood the traces with work that is nobody's request.
        private static NpgsqlDataSource Untraced(string connectionString)
        {
            var builder = new NpgsqlDataSourceBuilder(connectionString);
            builder.ConfigureTracing(tracing => tracing.ConfigureCommandFilter(_ => false).EnablePhysicalOpenTracing(false));
            return builder.Build();
        }

        private async Task PollAsync()
        {
            try
            {
                await PollUntilNonePendingAsync();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // disposed: every waiter was released
            }
            catch (Exception)
            {
                // Never strand a budget slot: on anything unexpected, release every waiter (the next wait starts a new loop).
                lock (_gate)
                {
                    foreach (var (exited, _) in _pending.Values)
                    {
                        exited.TrySetResult();
                    }
                    _pending.Clear();
                    _loop = null;
                }
                throw;
            }
        }

        private async Task PollUntilNonePendingAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                int[] pids;
                lock (_gate)
                {
                    if (_pending.Count == 0)
                    {
                        _loop = null;
                        return;
                    }
                    pids = [.. _pending.Keys];
                }
                HashSet<int> alive;
                try
                {
                    alive = await AliveAsync(pids);
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
                {
                    alive = []; // cannot look: let the give-up time below decide instead of blocking the budget
                    await Task.Delay(_giveUpAfter / 10, _stop.Token);
                }
                lock (_gate)
                {
                    foreach (var pid in pids)
                    {
                        var (exited, since) = _pending[pid];
                        if (!alive.Contains(pid) || Environment.TickCount64 - since > _giveUpAfter.TotalMilliseconds)
                        {
                            _pending.Remove(pid);
                            exited.TrySetResult();
                        }
                    }
                }
                await Task.Delay(_pollInterval, _stop.Token);
            }
        }

        private async Task<HashSet<int>> AliveAsync(int[] pids)
        {
            await using var connection = await _source.OpenConnectionAsync(_stop.Token);
            await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE pid = ANY($1)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = pids });
            var alive = new HashSet<int>();
            await using var reader = await command.ExecuteReaderAsync(_stop.Token);
            while (await reader.ReadAsync(_stop.Token))
            {
                alive.Add(reader.GetInt32(0));
            }
            return alive;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            lock (_gate)
            {
                foreach (var (exited, _) in _pending.Values)
                {
                    exited.TrySetResult();
                }
                _pending.Clear();
            }
            await _source.DisposeAsync();
            _stop.Dispose();
        }
    }
}
