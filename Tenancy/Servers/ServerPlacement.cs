using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tenancy.Servers;

/// <summary>What placement knows of a server: its catalog row and what it holds now.</summary>
public sealed record ServerLoad(string Name, IReadOnlyCollection<TenantTier> Tiers, ServerState State, int Capacity, int Tenants, long Bytes);

/// <summary>
/// Where a tenant of a tier goes: the open servers that serve the tier and have room, the least loaded first (tenants, then bytes,
/// then name so the choice is deterministic). Draining and closed servers take nobody. The one owner of that decision: creating a
/// tenant, changing its tier and draining a server all ask here.
/// </summary>
public static class ServerPlacement
{
    public static string? Choose(TenantTier tier, IEnumerable<ServerLoad> servers, string? except = null) =>
        servers.Where(s => s.State == ServerState.Open && s.Tiers.Contains(tier) && s.Tenants < s.Capacity
                           && !string.Equals(s.Name, except, StringComparison.Ordinal))
            .OrderBy(s => s.Tenants).ThenBy(s => s.Bytes).ThenBy(s => s.Name, StringComparer.Ordinal)
            .FirstOrDefault()?.Name;

    /// <summary>May a tenant of <paramref name="tier"/> stay on <paramref name="server"/>? (Draining servers keep nobody.)</summary>
    public static bool CanStay(TenantTier tier, ServerLoad server) =>
        server.State == ServerState.Open && server.Tiers.Contains(tier);
}
