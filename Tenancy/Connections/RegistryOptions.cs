namespace TenantAspire.Tenancy.Connections;

public sealed class RegistryOptions
{
    public const string Section = "ConnectionRegistry";

    /// <summary>Global budget of physical connections to tenant databases, across all tenants, for this process.</summary>
    public int ConnectionBudget { get; set; } = 40;

    /// <summary>Most connections one tenant may hold; a tenant starts with one and grows with its concurrent requests.</summary>
    public int ConnectionsPerTenant { get; set; } = 4;

    /// <summary>
    /// Share of the budget (percent) kept for one-off connections of tenants not admitted to the main region (TinyLFU admission:
    /// a tenant displaces an idle one only if it was asked for more often lately). 0 turns admission off (plain sampled LFU).
    /// Budgets under 4 have no window.
    /// </summary>
    public int AdmissionWindowPercent { get; set; } = 10;

    /// <summary>
    /// After an evicted data source closes its connections, its budget slots are reused only after this grace, the time its
    /// backends take to exit, so Postgres never sees more than the budget (measured in docs/architecture.md, *Design notes*).
    /// (One-off window connections are not guessed at: the registry watches their backend leave pg_stat_activity.)
    /// </summary>
    public TimeSpan CloseGrace { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Most requests of one tenant waiting for a connection at once (per process); more get 503 + Retry-After at once. Keeps a
    /// hot tenant's burst from occupying every waiter and admission-window turn while other tenants wait. Large enough that one
    /// busy tenant on a quiet system queues for its own few connections instead of being refused.
    /// </summary>
    public int MaxWaitersPerTenant { get; set; } = 64;

    /// <summary>How long a request may wait for a connection before it gets 503 + Retry-After.</summary>
    public TimeSpan AcquireTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Data sources unused this long are disposed (their physical connections close). Short, because an idle data source is
    /// most of an idle tenant's memory even with no connector open (Npgsql's per-data-source type and serializer state, about
    /// 60 KB against 19 KB for the route; docs/benchmarks.md, *Memory per tenant*), and past the connection's idle lifetime its
    /// next request pays a connect anyway; building a data source again takes about 0.1 ms beside that connect.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often idle data sources are looked for and disposed (<see cref="IdleTimeout"/>).</summary>
    public TimeSpan IdleSweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Admission: every access frequency is halved after this many accesses per budget slot (at least 1,000): long enough that
    /// the ranks around the admission threshold are not Poisson noise, short enough to follow a shift in which tenants are busy.
    /// </summary>
    public int AgingAccessesPerSlot { get; set; } = 200;

    /// <summary>Admission: how many of the least recently used idle data sources are compared by frequency to find a victim.</summary>
    public int EvictionSample { get; set; } = 16;

    /// <summary>
    /// A one-off connection's budget slot is handed on when its backend has left <c>pg_stat_activity</c>, or after this long
    /// if the probe cannot tell (it answers within milliseconds when the server is healthy).
    /// </summary>
    public TimeSpan BackendExitGiveUp { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the exit probe looks for closed backends while any are pending (one query per server for all of them).</summary>
    public TimeSpan BackendExitPollInterval { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// Npgsql's own idle pruning inside a live data source (seconds): connections a burst opened beyond the tenant's first close
    /// once idle this long. The first stays until the registry disposes the data source (<see cref="IdleTimeout"/>), so a tenant in
    /// steady light use does not pay a connect (a SCRAM handshake, 7-9 ms here, and a backend's fork) every few seconds.
    /// </summary>
    public int ConnectionIdleLifetimeSeconds { get; set; } = 15;

    /// <summary>How often Npgsql looks for connections past <see cref="ConnectionIdleLifetimeSeconds"/> (seconds; at most that).</summary>
    public int ConnectionPruningIntervalSeconds { get; set; } = 5;

    /// <summary>
    /// Each tenant connection's read and write buffer (bytes; Npgsql's default is 8 KB each). Tenant queries move small rows, and
    /// a larger value is still read (Npgsql grows a buffer for one oversized message and goes back).
    /// </summary>
    public int ConnectionBufferBytes { get; set; } = 4096;

    /// <summary>These options with another budget (one server's share), every other setting as configured.</summary>
    internal RegistryOptions WithBudget(int budget)
    {
        var copy = (RegistryOptions)MemberwiseClone();
        copy.ConnectionBudget = budget;
        return copy;
    }
}
