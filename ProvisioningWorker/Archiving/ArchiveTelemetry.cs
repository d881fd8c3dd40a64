using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace TenantAspire.ProvisioningWorker.Archiving;

/// <summary>Metrics of continuous archiving (meter <c>TenantAspire.Archive</c>), tagged by server (a handful) and backup type.</summary>
public static class ArchiveTelemetry
{
    public const string Name = "TenantAspire.Archive";
    private static readonly Meter Meter = new(Name);
    private static readonly ConcurrentDictionary<string, double> Lag = new(StringComparer.Ordinal);

    public static readonly Counter<long> BaseBackups = Meter.CreateCounter<long>("tenantaspire.archive.base_backups",
        description: "Base backups taken by the archive pass, by type (full, diff).");

    static ArchiveTelemetry()
    {
        Meter.CreateObservableGauge("tenantaspire.archive.lag", () => Lag.Select(l =>
                new Measurement<double>(l.Value, new KeyValuePair<string, object?>("server", l.Key))),
            unit: "s", description: "Per server, how long ago its newest WAL segment reached the archive: writes newer than this are not yet recoverable if the server is lost (RPO goal: 60 s).");
    }

    public static void SetLag(string server, TimeSpan lag) => Lag[server] = Math.Max(0, lag.TotalSeconds);
}
