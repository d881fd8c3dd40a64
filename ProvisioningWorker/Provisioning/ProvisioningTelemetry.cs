using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TenantAspire.ProvisioningWorker.Provisioning;

public static class ProvisioningTelemetry
{
    public const string Name = "TenantAspire.Provisioning";
    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    public static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>(
        "tenantaspire.provisioning.operation.duration", "s", "Duration of a tenant operation attempt, by kind and outcome.");

    public static Activity? StartStep(string step, string slug)
    {
        var activity = Source.StartActivity($"provisioning {step}");
        activity?.SetTag(TenantAspire.Tenancy.Telemetry.TenantTelemetry.TenantIdKey, slug);
        activity?.SetTag("provisioning.step", step);
        return activity;
    }
}
