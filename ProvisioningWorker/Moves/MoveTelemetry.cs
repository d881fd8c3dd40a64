using System.Diagnostics.Metrics;

namespace TenantAspire.ProvisioningWorker.Moves;

public static class MoveTelemetry
{
    private static readonly Meter Meter = new(ProvisioningTelemetry.Name);

    public static readonly Histogram<double> Pause = Meter.CreateHistogram<double>("tenantaspire.move.pause", "ms",
        "How long a tenant's requests were held in a move's cut-over, by method and outcome.");

    public static readonly Counter<long> Moves = Meter.CreateCounter<long>("tenantaspire.move.outcomes",
        description: "Tenant moves finished, by method and outcome (switched, aborted).");
}
