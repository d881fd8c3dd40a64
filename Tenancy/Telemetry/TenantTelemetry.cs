using System.Diagnostics;
using OpenTelemetry;

namespace TenantAspire.Tenancy.Telemetry;

/// <summary>
/// The one attribute every tenant signal carries: <c>tenant.id</c> (the slug). Traces get the exact tenant; metrics get it through
/// <see cref="TenantTagLimiter"/> (capped cardinality). The tenant travels as OpenTelemetry baggage, so every span started below
/// the point where the tenant became known carries it (<see cref="TenantBaggageProcessor"/>), and so does the worker's operation
/// (<see cref="OperationTrace"/>).
/// </summary>
public static class TenantTelemetry
{
    public const string TenantIdKey = "tenant.id";

    /// <summary>What tenants beyond the metric cardinality cap are folded into.</summary>
    public const string Other = "other";

    /// <summary>From here on (this async flow and everything it awaits) the work is for <paramref name="slug"/>.</summary>
    public static void Enter(string slug)
    {
        Baggage.SetBaggage(TenantIdKey, slug);
        Activity.Current?.SetTag(TenantIdKey, slug);
    }

    /// <summary>
    /// Drops a <c>tenant.id</c> that arrived in an incoming <c>baggage</c> header: a caller must not be able to label our spans
    /// with a tenant of its choosing. Only <see cref="Enter"/>, after authentication and the tenant guard, sets it.
    /// </summary>
    public static void ForgetUntrusted() => Baggage.RemoveBaggage(TenantIdKey);

    public static string? Current => Baggage.GetBaggage(TenantIdKey);
}
