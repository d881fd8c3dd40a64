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

    /// <summary>
    /// The oldest moment a point-in-time restore can reach on this server: the end of its oldest base backup in the archive's
    /// repository (null: not archived, or no base backup yet). Written by the worker's archive pass.
    /// </summary>
    public DateTimeOffset? RecoverableFrom { get; set; }

    /// <summary>When the newest WAL segment was archived: every write acknowledged before it is recoverable (the RPO's clock).</summary>
    public DateTimeOffset? ArchivedUntil { get; set; }

    /// <summary>The archive pass's last problem on this server (a failing archive_command, a failed base backup), or null.</summary>
    public string? ArchiveError { get; set; }
    public DateTimeOffset? ArchiveCheckedAt { get; set; }

    /// <summary>The newest point-in-time drill of this server (the worker's drill claims it by setting the time first).</summary>
    public DateTimeOffset? PitrDrilledAt { get; set; }
    public DrillOutcome? PitrDrillOutcome { get; set; }

    /// <summary>What that drill restored (tenant, moment, what it was checked against) and, when it failed, why.</summary>
    public string? PitrDrill { get; set; }

    public IReadOnlyCollection<TenantTier> TierValues() =>
        [.. Tiers.Select(t => Enum.TryParse<TenantTier>(t, out var tier) ? tier : (TenantTier?)null).OfType<TenantTier>()];
}
