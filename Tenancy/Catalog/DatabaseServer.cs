namespace TenantAspire.Tenancy.Catalog;

/// <summary>Open servers take new tenants; draining ones are being emptied (and take none); closed ones take none.</summary>
public enum ServerState { Open, Draining, Closed }

/// <summary>
/// A row of <c>servers</c>: a Postgres server tenants may live on. Tiers, capacity and budget come from the AppHost's topology
/// (the worker writes them at start); <see cref="State"/> is the operator's (drain).
/// </summary>
public sealed class DatabaseServer
{
    public required string Name { get; set; }

    /// <summary>Tier names (<see cref="TenantTier"/>) served.</summary>
    public List<string> Tiers { get; set; } = [];
    public ServerState State { get; set; }
    public int Capacity { get; set; }

    /// <summary>Tenant connections all API replicas together may hold here.</summary>
    public int ConnectionBudget { get; set; }

    /// <summary>Size of its tenant databases, as last measured by the worker.</summary>
    public long Bytes { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public IReadOnlyCollection<TenantTier> TierValues() =>
        [.. Tiers.Select(t => Enum.TryParse<TenantTier>(t, out var tier) ? tier : (TenantTier?)null).OfType<TenantTier>()];
}
