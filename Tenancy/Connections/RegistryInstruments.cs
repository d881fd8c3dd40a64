using System.Diagnostics.Metrics;

namespace TenantAspire.Tenancy.Connections;

/// <summary>The registry's counters, created once and shared by every server's pool (an instrument is registered once per meter).</summary>
internal sealed class RegistryInstruments(Meter meter)
{
    public Counter<long> Evictions { get; } = meter.CreateCounter<long>("tenantaspire.registry.evictions",
        description: "Data sources disposed (their connections closed), by reason and tenant.");

    public Counter<long> Rejections { get; } = meter.CreateCounter<long>("tenantaspire.registry.rejections",
        description: "Requests refused with 503 for the connection budget, by tenant.");

    public Counter<long> Lookups { get; } = meter.CreateCounter<long>("tenantaspire.registry.lookups",
        description: "Connection requests by result: hit (an open connection), grow, miss (new data source) or transient (admission window).");
}
