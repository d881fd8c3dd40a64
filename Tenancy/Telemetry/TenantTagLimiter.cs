using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace TenantAspire.Tenancy.Telemetry;

/// <summary>
/// The metric value for a tenant: its slug for the first <see cref="TelemetryOptions.MaxTenantTagValues"/> tenants this process
/// reports, <see cref="TenantTelemetry.Other"/> for every later one. First come, first kept, for the life of the process: a
/// series never changes meaning halfway through a chart. 10,000 tenants cannot blow up the metrics pipeline.
/// </summary>
public sealed class TenantTagLimiter(IOptions<TelemetryOptions> options)
{
    private readonly ConcurrentDictionary<string, bool> _admitted = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Tenants with a series of their own: at most <see cref="TelemetryOptions.MaxTenantTagValues"/> (plus "other").</summary>
    public int Count => _admitted.Count;

    public string TagFor(string slug)
    {
        if (_admitted.ContainsKey(slug))
        {
            return slug;
        }
        lock (_gate)
        {
            if (_admitted.ContainsKey(slug) || _admitted.Count < options.Value.MaxTenantTagValues)
            {
                _admitted[slug] = true;
                return slug;
            }
        }
        return TenantTelemetry.Other;
    }
}
