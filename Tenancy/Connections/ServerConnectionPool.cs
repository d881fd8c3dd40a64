using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.Tenancy.Connections;

/// <summary>
/// The mechanics of one server's tenant connections under a hard budget of physical connections (this process's share of the
/// server's budget, see <see cref="TenantConnectionRegistry"/>): budget slots, waiters, data sources and their disposal. Who is
/// admitted and who is evicted is <see cref="AdmissionPolicy"/>'s decision. The budget is split in two:
/// <list type="bullet">
/// <item>The main region: one pooled <see cref="NpgsqlDataSource"/> per admitted tenant, logged in as the tenant's own role. Each
/// reserves budget slots for the connections it may hold: one to start, one more each time the tenant's concurrent requests
/// outgrow them, up to <see cref="RegistryOptions.ConnectionsPerTenant"/> (hot tenants get more, the long tail one each).</item>
/// <item>The admission window (<see cref="RegistryOptions.AdmissionWindowPercent"/> of the budget): one-off unpooled connections
/// for tenants that are not worth a place in the main region.</item>
/// </list>
/// When the main region is full, a tenant takes the place of an idle one only if the policy admits it; otherwise it is served
/// from the window. Evicted data sources are disposed (their connections close); idle ones also expire on a timer. Requests never run more
/// connections than were reserved, so the process never holds more than the budget; when nothing is free within
/// <see cref="RegistryOptions.AcquireTimeout"/>, the request gets 503 + Retry-After, never Postgres' "too many clients".
/// Hand-written because neither Npgsql (one pool per connection string, never dropped) nor a multi-tenancy library (Finbuckle,
/// ABP) bounds connections across tenants.
/// </summary>
internal sealed class ServerConnectionPool : IAsyncDisposable
{
    private static ActivitySource Source => TenantConnectionRegistry.Source;

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Entry> _entries = [];
    private readonly FairQueue<TaskCompletionSource> _windowQueue = new(); // requests waiting for a window slot, round-robin by tenant
    private readonly Dictionary<Guid, int> _waitersByTenant = [];
    private readonly RegistryOptions _options;
    private readonly TenantDataSources _sources;
    private readonly BackendExits _exits;
    private readonly TimeProvider _clock;
    private readonly ITimer _idleSweep;
    private readonly AdmissionPolicy _policy;
    private readonly PoolCounters _counters;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _slotsUsed, _closing, _transientInUse, _waiters;

    /// <param name="options">This server's options: <see cref="RegistryOptions.ConnectionBudget"/> is this process's share.</param>
    public ServerConnectionPool(string server, RegistryOptions options, AdmissionPolicy policy, TenantDataSources sources,
        BackendExits exits, TimeProvider clock, PoolCounters counters)
    {
        Server = server;
        _options = options;
        _policy = policy;
        _sources = sources;
        _exits = exits;
        _clock = clock;
        _counters = counters;
        AdmissionWindow = _options.ConnectionBudget >= 4 && _options.AdmissionWindowPercent > 0
            ? Math.Max(1, _options.ConnectionBudget * _options.AdmissionWindowPercent / 100)
            : 0;
        _idleSweep = clock.CreateTimer(_ => _ = EvictIdleAsync(), null, _options.IdleSweepInterval, _options.IdleSweepInterval);
    }

    public string Server { get; }

    public int Budget => _options.ConnectionBudget;

    public int Waiters => Volatile.Read(ref _waiters);

    /// <summary>Connections of the budget kept for tenants that are not admitted to the main region.</summary>
    public int AdmissionWindow { get; }

    private int MainCapacity => _options.ConnectionBudget - AdmissionWindow;

    // An evicted data source's backends linger on the server for a moment while they exit (their pids are inside Npgsql's pool,
    // so there is nothing to watch): its slots stay taken for this grace. One-off connections are watched (BackendExits).
    private TimeSpan CloseGrace => _options.CloseGrace;

    public int LiveDataSources { get { lock (_gate) { return _entries.Count; } } }

    public int InUse { get { lock (_gate) { return _entries.Values.Sum(e => e.InFlight) + _transientInUse; } } }

    public RegistrySnapshot Snapshot()
    {
        lock (_gate)
        {
            return new(_entries.Count, _entries.Values.Sum(e => e.InFlight) + _transientInUse, _slotsUsed, _transientInUse,
                _options.ConnectionBudget, AdmissionWindow, _counters.Hits, _counters.Grows, _counters.Misses, _counters.Transients,
                _counters.Evicted, _counters.Rejected) { Server = Server };
        }
    }

    /// <summary>An open connection to the tenant's database; dispose it to give it back.</summary>
    public async Task<TenantConnectionLease> OpenAsync(TenantRoute tenant, CancellationToken ct)
    {
        using var activity = Source.StartActivity("tenant connection acquire");
        activity?.SetTag(TenantTelemetry.TenantIdKey, tenant.Slug);
        var deadline = _clock.GetUtcNow() + _options.AcquireTimeout;
        var entry = await AcquireAsync(tenant, deadline, ct);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Remaining(deadline));
            var connection = await entry.Source.OpenConnectionAsync(timeout.Token);
            return new TenantConnectionLease(this, entry, connection);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is OperationCanceledException or NpgsqlException { InnerException: TimeoutException })
        {
            await ReleaseAsync(entry, backendPid: 0);
            Reject(tenant);
            throw new ConnectionBudgetExhaustedException($"No connection for tenant '{tenant.Slug}' within {_options.AcquireTimeout.TotalSeconds:0.#} s.");
        }
        catch (Exception e)
        {
            await ReleaseAsync(entry, backendPid: 0);
            if (!entry.Transient && DatabaseUnavailable.Is(e))
            {
                // Closed (hibernated), dropped or restarted under us: the pool's idle connections are dead too. Start over next time.
                await EvictAsync(tenant.Id);
            }
            throw;
        }
    }

    private async Task<Entry> AcquireAsync(TenantRoute tenant, DateTimeOffset deadline, CancellationToken ct)
    {
        var frequency = 0;
        while (true)
        {
            var evicted = new List<Entry>();
            Task released;
            FairQueue<TaskCompletionSource>.Ticket? ticket = null;
            LinkedListNode<TaskCompletionSource>? handOff = null;
            Entry? own = null;
            lock (_gate)
            {
                if (frequency == 0)
                {
                    frequency = _policy.RecordAccess(tenant.Id);
                }
                var granted = TryGrant(tenant, frequency, evicted, out var windowSlot, out var full);
                DisposeLater(evicted, "capacity");
                if (windowSlot)
                {
                    break; // a window slot is ours: build its one-off data source outside the lock
                }
                if (granted is not null)
                {
                    return granted;
                }
                if (!TryStartWaiting(tenant.Id))
                {
                    Reject(tenant);
                    throw new ConnectionBudgetExhaustedException(
                        $"Tenant '{tenant.Slug}' already has {_options.MaxWaitersPerTenant} requests waiting for a connection.");
                }
                if (!_entries.ContainsKey(tenant.Id) && AdmissionWindow > 0)
                {
                    // Not admitted and the window is busy: queue for the next window slot, round-robin across tenants, so the tail
                    // waits its turn instead of racing every release (a race some requests lose until their deadline) and one
                    // tenant's burst cannot take every turn.
                    ticket = _windowQueue.Enqueue(tenant.Id, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                }
                if (full is not null)
                {
                    // Its own data source is full: queue for one of its connections, first come first served. A release hands its
                    // slot to the oldest waiter directly: no race of every waiter for it, whose losers would wait far past a plain
                    // Npgsql pool's p99 (it queues its own waiters the same way).
                    own = full;
                    handOff = full.Waiters.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                }
                // Anyone else waits for budget to free up anywhere. So a release wakes the few who can use it, not everyone.
                released = ticket?.Item.Task ?? handOff?.Value.Task ?? _released.Task;
            }
            var remaining = Remaining(deadline);
            bool signalled;
            try
            {
                signalled = remaining > TimeSpan.Zero && await WaitAsync(released, remaining, ct);
            }
            finally
            {
                StopWaiting(tenant.Id);
            }
            if (signalled)
            {
                if (ticket is not null)
                {
                    return Transient(tenant); // the releasing request handed its window slot to us
                }
                if (own is not null)
                {
                    return HandedOver(own); // the releasing request handed its connection slot to us
                }
                continue; // something was released: try again
            }
            if (ticket is not null)
            {
                AbandonTicket(ticket);
            }
            if (own is not null && AbandonHandOff(own, handOff!))
            {
                await ReleaseAsync(own, backendPid: 0); // handed to us as we gave up: pass it on
            }
            ct.ThrowIfCancellationRequested();
            Reject(tenant);
            throw new ConnectionBudgetExhaustedException(
                $"All {_options.ConnectionBudget} tenant connections are busy; tenant '{tenant.Slug}' waited {_options.AcquireTimeout.TotalSeconds:0.#} s.");
        }
        return Transient(tenant);
    }

    /// <summary>
    /// Under the lock: a connection for the tenant now, or null. Null with <paramref name="windowSlot"/> set means a window slot
    /// is reserved for it (its one-off data source is built after the lock is released); otherwise wait for a release.
    /// </summary>
    private Entry? TryGrant(TenantRoute tenant, int frequency, List<Entry> evicted, out bool windowSlot, out Entry? full)
    {
        windowSlot = false;
        full = null;
        if (_entries.TryGetValue(tenant.Id, out var live))
        {
            if (live.InFlight < live.Slots)
            {
                _counters.Hit();
                return Touch(live);
            }
            if (live.Slots < _options.ConnectionsPerTenant && TryReserveSlot(live, frequency, evicted))
            {
                live.Slots++;
                _counters.Grow();
                return Touch(live);
            }
            full = live;
            return null; // its own connections free up soonest
        }
        if (TryReserveSlot(null, frequency, evicted))
        {
            NpgsqlDataSource source;
            try
            {
                source = _sources.Pooled(tenant);
            }
            catch
            {
                _slotsUsed--; // no data source (unreadable credentials, unknown server): the slot was never used
                throw;
            }
            var created = new Entry(tenant, source) { Slots = 1 };
            _entries.Add(tenant.Id, created);
            _policy.Admit(tenant.Id);
            _counters.Miss();
            return Touch(created);
        }
        if (_transientInUse < AdmissionWindow && _windowQueue.Count == 0)
        {
            _transientInUse++;
            windowSlot = true;
            return null;
        }
        return null;
    }

    /// <summary>A one-off connection from the admission window (its slot is already counted in <c>_transientInUse</c>).</summary>
    private Entry Transient(TenantRoute tenant)
    {
        NpgsqlDataSource source;
        try
        {
            source = _sources.Unpooled(tenant);
        }
        catch
        {
            lock (_gate)
            {
                ReleaseWindowSlot(); // no data source: the reserved slot goes to the next in line
                Signal();
            }
            throw;
        }
        _counters.Transient();
        return new Entry(tenant, source) { Transient = true };
    }

    /// <summary>A slot of the tenant's own data source, handed over by a release (still counted in its in-flight requests).</summary>
    private Entry HandedOver(Entry entry)
    {
        lock (_gate)
        {
            _policy.Touch(entry.TenantId);
        }
        _counters.Hit();
        return entry;
    }

    /// <summary>A request queued on its tenant's data source gave up: true if a slot was handed to it meanwhile (it must pass it on).</summary>
    private bool AbandonHandOff(Entry entry, LinkedListNode<TaskCompletionSource> node)
    {
        lock (_gate)
        {
            if (node.List is not null)
            {
                entry.Waiters.Remove(node);
                return false;
            }
            return true;
        }
    }

    /// <summary>A queued request gave up: leave the queue, or pass on the slot it was handed meanwhile.</summary>
    private void AbandonTicket(FairQueue<TaskCompletionSource>.Ticket ticket)
    {
        lock (_gate)
        {
            if (ticket.IsQueued)
            {
                _windowQueue.Remove(ticket);
            }
            else
            {
                ReleaseWindowSlot();
            }
        }
    }

    /// <summary>Under the lock: the next queued request gets the slot, else it is free.</summary>
    private void ReleaseWindowSlot()
    {
        if (_windowQueue.TryDequeue(out var next))
        {
            next.TrySetResult();
        }
        else
        {
            _transientInUse--;
        }
    }

    /// <summary>
    /// One more main-region slot: a free one, or the slots of the idle data source the policy gives up for a tenant asked for
    /// <paramref name="frequency"/> times lately (never the growing tenant's own).
    /// </summary>
    private bool TryReserveSlot(Entry? growing, int frequency, List<Entry> evicted)
    {
        while (_slotsUsed + _closing >= MainCapacity)
        {
            if (_policy.ChooseVictim(frequency, id => id != growing?.TenantId && _entries[id].InFlight == 0) is not { } victimId)
            {
                return false; // not admitted: nothing idle, or every idle tenant is at least as popular
            }
            var victim = _entries[victimId];
            Remove(victim);
            evicted.Add(victim);
            if (_slotsUsed + _closing >= MainCapacity)
            {
                return false; // the victim's connections are closing: its slots free up once they are gone (a release wakes us)
            }
        }
        _slotsUsed++;
        return true;
    }

    /// <summary>
    /// Under the lock: one more waiter for the tenant, unless it already has <see cref="RegistryOptions.MaxWaitersPerTenant"/>.
    /// The cap keeps one tenant's burst from filling the waiters (each woken by every release) and starving the rest.
    /// </summary>
    private bool TryStartWaiting(Guid tenantId)
    {
        var waiting = _waitersByTenant.GetValueOrDefault(tenantId);
        if (waiting >= _options.MaxWaitersPerTenant)
        {
            return false;
        }
        _waitersByTenant[tenantId] = waiting + 1;
        return true;
    }

    private void StopWaiting(Guid tenantId)
    {
        lock (_gate)
        {
            if (--CollectionsMarshal.GetValueRefOrNullRef(_waitersByTenant, tenantId) == 0)
            {
                _waitersByTenant.Remove(tenantId);
            }
        }
    }

    private async Task<bool> WaitAsync(Task released, TimeSpan remaining, CancellationToken ct)
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

    private void Reject(TenantRoute tenant) => _counters.Rejection(tenant.Slug);

    private void DisposeLater(List<Entry> evicted, string reason)
    {
        foreach (var entry in evicted)
        {
            _ = DisposeAsync(entry, reason);
        }
    }

    internal ValueTask ReleaseAsync(Entry entry, int backendPid)
    {
        if (entry.Transient)
        {
            // Its one connection is closed; the slot is passed on once that backend has left the server (not on the request's time).
            _ = ReleaseWindowSlotLaterAsync(entry, backendPid);
            return ValueTask.CompletedTask;
        }
        lock (_gate)
        {
            if (entry.Waiters.First is { } next)
            {
                entry.Waiters.RemoveFirst();
                next.Value.TrySetResult(); // the slot stays in flight: it is the oldest waiter's now
                return ValueTask.CompletedTask;
            }
            entry.InFlight--;
            _policy.Released(entry.TenantId);
            if (entry.InFlight == 0)
            {
                Signal(); // now idle, so evictable: a tenant waiting for budget may take its place
            }
        }
        return ValueTask.CompletedTask;
    }

    private async Task ReleaseWindowSlotLaterAsync(Entry entry, int backendPid)
    {
        try
        {
            await entry.Source.DisposeAsync();
            if (backendPid != 0)
            {
                await _exits.WaitAsync(entry.Server, backendPid);
            }
            else
            {
                await Task.Delay(CloseGrace, _clock); // the open failed part-way: no pid to watch
            }
        }
        finally
        {
            lock (_gate)
            {
                ReleaseWindowSlot();
                Signal();
            }
        }
    }

    private Entry Touch(Entry entry)
    {
        entry.InFlight++;
        _policy.Touch(entry.TenantId);
        return entry;
    }

    /// <summary>Under the lock: out of the registry; its slots count as closing until <see cref="DisposeAsync(Entry, string)"/> is done.</summary>
    private void Remove(Entry entry)
    {
        _entries.Remove(entry.TenantId);
        _policy.Remove(entry.TenantId);
        _slotsUsed -= entry.Slots;
        _closing += entry.Slots;
    }

    private void Signal()
    {
        var signal = _released;
        _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        signal.TrySetResult();
    }

    private async Task EvictIdleAsync()
    {
        List<Entry> idle;
        lock (_gate)
        {
            idle = [.. _policy.Expired(_options.IdleTimeout, id => _entries[id].InFlight == 0).Select(id => _entries[id])];
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
        _counters.Eviction(reason, entry.Slug);
        try
        {
            await entry.Source.DisposeAsync();
            await Task.Delay(CloseGrace, _clock);
        }
        finally
        {
            lock (_gate)
            {
                _closing -= entry.Slots;
                Signal();
            }
        }
    }

    private TimeSpan Remaining(DateTimeOffset deadline)
    {
        var left = deadline - _clock.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    public async ValueTask DisposeAsync()
    {
        await _idleSweep.DisposeAsync(); // the exit probes are the registry's, shared by every server's pool
        List<Entry> all;
        lock (_gate)
        {
            all = [.. _entries.Values];
            _entries.Clear();
            _policy.Clear();
        }
        foreach (var entry in all)
        {
            await entry.Source.DisposeAsync();
        }
    }

    internal sealed class Entry(TenantRoute tenant, NpgsqlDataSource source)
    {
        public Guid TenantId { get; } = tenant.Id;
        public string Slug { get; } = tenant.Slug;
        public string Server { get; } = tenant.Server;
        public NpgsqlDataSource Source { get; } = source;

        /// <summary>A one-off connection from the admission window, not a main-region data source.</summary>
        public bool Transient { get; init; }
        public int InFlight { get; set; }

        /// <summary>Physical connections this data source may hold (reserved from the budget); grows with concurrency.</summary>
        public int Slots { get; set; }

        /// <summary>Requests waiting for one of its connections, oldest first (under the pool's lock); a release hands its slot on.</summary>
        public LinkedList<TaskCompletionSource> Waiters { get; } = [];
    }
}
