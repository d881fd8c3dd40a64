using System.Diagnostics;
using OpenTelemetry;

namespace TenantAspire.Tenancy.Telemetry;

/// <summary>
/// Copies the <c>tenant.id</c> baggage onto every span as it starts (cache, registry, Npgsql, provisioning steps), so a dashboard
/// filter on <c>tenant.id</c> shows a tenant's whole story. Server spans are skipped: they start before authentication, when the
/// only baggage is whatever the caller sent; <see cref="TenantTelemetry.Enter"/> tags them once the tenant is established.
/// Hand-written: the contrib BaggageActivityProcessor is not among the packages served here, and this is a few lines.
/// </summary>
public sealed class TenantBaggageProcessor : BaseProcessor<Activity>
{
    public override void OnStart(Activity data)
    {
        if (data.Kind != ActivityKind.Server && TenantTelemetry.Current is { } tenant)
        {
            data.SetTag(TenantTelemetry.TenantIdKey, tenant);
        }
    }
}
