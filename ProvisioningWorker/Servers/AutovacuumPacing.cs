namespace TenantAspire.ProvisioningWorker.Servers;

public sealed class AutovacuumPacingOptions
{
    public const string Section = "AutovacuumPacing";

    /// <summary>How often each server's database count is read and its naptime set; zero leaves Postgres' setting alone.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The autovacuum worker launches per second a server may spend on visiting its databases. Each launch is a process start,
    /// a connection to one database and a look at its tables' statistics, whether or not anything changed there.
    /// </summary>
    public double LaunchesPerSecond { get; set; } = 2;
}

/// <summary>
/// The decision "how long between autovacuum visits of one database" for a server holding <c>n</c> databases. Postgres' launcher
/// visits every database with statistics once per <c>autovacuum_naptime</c>, so it launches a worker every naptime / n: with the
/// default 60 s and 5,000 tenant databases that is 83 launches a second, at rest, for databases that are asleep. The naptime
/// grows with the fleet so the launch rate stays at <see cref="AutovacuumPacingOptions.LaunchesPerSecond"/>; never below
/// Postgres' default (small servers keep it) and never above a day. The price: a busy tenant's database is looked at once per
/// naptime too (42 min at 5,000 databases and 2 launches/s), so its dead rows wait that long for a vacuum.
/// </summary>
public static class AutovacuumPacing
{
    public static readonly TimeSpan Floor = TimeSpan.FromSeconds(60); // Postgres' default
    public static readonly TimeSpan Ceiling = TimeSpan.FromDays(1);

    /// <summary>The naptime for this many databases, in whole seconds (the setting's unit).</summary>
    public static TimeSpan NaptimeFor(long databases, double launchesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(launchesPerSecond);
        var seconds = Math.Ceiling(Math.Max(0, databases) / launchesPerSecond);
        return TimeSpan.FromSeconds(Math.Clamp(seconds, Floor.TotalSeconds, Ceiling.TotalSeconds));
    }

    /// <summary>
    /// Whether to change the setting: only past a 20 % difference, so a fleet growing by a few tenants does not rewrite
    /// <c>postgresql.auto.conf</c> and reload the server at every pass.
    /// </summary>
    public static bool ShouldChange(TimeSpan current, TimeSpan target) =>
        Math.Abs(target.TotalSeconds - current.TotalSeconds) > 0.2 * current.TotalSeconds;
}
