using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>
/// Spans and metrics of backups, restores, drills and exports (meter and source <c>TenantAspire.Backups</c>). Spans carry
/// <c>tenant.id</c> through the baggage like every tenant span; metrics are tagged by tier and outcome only (bounded).
/// </summary>
public static class BackupTelemetry
{
    public const string Name = "TenantAspire.Backups";
    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);
    private static readonly ConcurrentDictionary<TenantTier, double> Exposure = new();

    public static readonly Counter<long> Backups = Meter.CreateCounter<long>("tenantaspire.backup.backups", description: "Tenant backups written, by tier and outcome (succeeded, failed).");
    public static readonly Counter<long> Bytes = Meter.CreateCounter<long>("tenantaspire.backup.bytes", unit: "By", description: "Bytes of backups written to the store, by tier.");
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("tenantaspire.backup.duration", unit: "s", description: "Time to dump one tenant into the store, by tier.");
    public static readonly Counter<long> Skipped = Meter.CreateCounter<long>("tenantaspire.backup.unchanged", description: "Due tenants not dumped again: no write since their newest backup, by tier.");
    public static readonly Counter<long> Restores = Meter.CreateCounter<long>("tenantaspire.restore.restores", description: "Restores, by mode and outcome.");
    public static readonly Counter<long> Drills = Meter.CreateCounter<long>("tenantaspire.restore.drills", description: "Restore drills, by outcome (passed, failed).");
    public static readonly Counter<long> Exports = Meter.CreateCounter<long>("tenantaspire.export.exports", description: "Exports, by outcome.");

    static BackupTelemetry()
    {
        Meter.CreateObservableGauge("tenantaspire.backup.age", () => Exposure.Select(e =>
                new Measurement<double>(e.Value, new KeyValuePair<string, object?>("tier", e.Key.ToString()))),
            unit: "s", description: "Per tier, the oldest write no backup holds yet (0 when every tenant is unchanged since its newest backup); compare with the tier's interval.");
    }

    /// <summary>Set by each backup pass: the per-tier maximum of <see cref="BackupPolicy.ExposedFor"/>.</summary>
    public static void SetExposure(TenantTier tier, TimeSpan age) => Exposure[tier] = Math.Max(0, age.TotalSeconds);

    public static Activity? Start(string name, string slug)
    {
        var activity = Source.StartActivity(name);
        activity?.SetTag("tenant.id", slug);
        return activity;
    }
}
