namespace TenantAspire.ProvisioningWorker.Moves;

public sealed class MoveOptions
{
    public const string Section = "Moves";

    /// <summary>Longest the tenant's requests are held in a cut-over between servers; past it the move aborts and the source serves on.</summary>
    public TimeSpan MaxPause { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a moved tenant's closed source database is kept before it is dropped.</summary>
    public TimeSpan SourceGrace { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Moves a drain keeps under way at once, per draining server (across all workers).</summary>
    public int DrainConcurrency { get; set; } = 2;

    /// <summary>Longest the initial copy and catch-up may take before the attempt fails (and is retried from scratch).</summary>
    public TimeSpan CopyTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Wait after the route says "moving" before the source is closed to the tenant: the time the cache backplane takes to reach
    /// every API replica, so requests are held there rather than sent to a source about to refuse them.
    /// </summary>
    public TimeSpan PropagationDelay { get; set; } = TimeSpan.FromMilliseconds(150);

    /// <summary>How often draining servers are looked at.</summary>
    public TimeSpan DrainInterval { get; set; } = TimeSpan.FromSeconds(2);
}
