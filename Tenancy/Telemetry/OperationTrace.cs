using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace TenantAspire.Tenancy.Telemetry;

/// <summary>
/// The W3C trace context and baggage of the request that queued a tenant operation, stored on the operation row: work crosses
/// from the API to the worker through the catalog, not HTTP, so the worker restores both from here (its span joins the request's
/// trace and its spans carry the tenant). Formatting is OpenTelemetry's own <see cref="BaggagePropagator"/>.
/// </summary>
public sealed record OperationTrace(string? TraceParent, string? Baggage)
{
    private const string Header = "baggage";
    private static readonly BaggagePropagator Propagator = new();

    public static OperationTrace None { get; } = new(null, null);

    /// <summary>The current trace and baggage.</summary>
    public static OperationTrace Capture() => Capture(OpenTelemetry.Baggage.Current);

    /// <summary>The current trace, with baggage saying <paramref name="slug"/> (the current flow's baggage is left as it is).</summary>
    public static OperationTrace ForTenant(string slug) =>
        Capture(OpenTelemetry.Baggage.Current.SetBaggage(TenantTelemetry.TenantIdKey, slug));

    private static OperationTrace Capture(OpenTelemetry.Baggage baggage)
    {
        var carrier = new Dictionary<string, string>(StringComparer.Ordinal);
        Propagator.Inject(new PropagationContext(default, baggage), carrier, (headers, key, value) => headers[key] = value);
        return new(Activity.Current?.Id, carrier.GetValueOrDefault(Header));
    }

    /// <summary>Makes the stored baggage current for this async flow.</summary>
    public static void RestoreBaggage(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return;
        }
        var context = Propagator.Extract(default, header, (carrier, key) => key == Header ? [carrier] : []);
        OpenTelemetry.Baggage.Current = context.Baggage;
    }
}
