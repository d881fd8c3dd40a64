using System.Security.Cryptography;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>A tenant a rollout has to take forward, as the planner sees it.</summary>
public sealed record RolloutCandidate(Guid Id, bool IsCanary, DateTimeOffset CreatedAt);

/// <summary>
/// Splits a rollout's tenants into rings: ring 0 the canaries (the tenants flagged canary, or else the <c>canaryCount</c> oldest),
/// then ring i holds the rest up to <c>percents[i - 1]</c> % of them, cumulatively. The rest are in a pseudo-random but stable order
/// (a hash of the id), so each ring is a sample of the fleet rather than its oldest or newest slice. Pure: unit-tested.
/// </summary>
public static class RingPlanner
{
    public static IReadOnlyDictionary<Guid, int> Plan(IReadOnlyCollection<RolloutCandidate> tenants, IReadOnlyList<int> percents, int canaryCount)
    {
        var flagged = tenants.Where(t => t.IsCanary).ToList();
        var canaries = flagged.Count > 0
            ? flagged
            : [.. tenants.OrderBy(t => t.CreatedAt).ThenBy(t => t.Id).Take(Math.Max(0, canaryCount))];
        var rings = canaries.ToDictionary(t => t.Id, _ => 0);
        var rest = tenants.Where(t => !rings.ContainsKey(t.Id)).OrderBy(t => Spread(t.Id)).ThenBy(t => t.Id).ToList();
        var start = 0;
        for (var ring = 1; ring <= percents.Count; ring++)
        {
            var end = ring == percents.Count ? rest.Count : (int)Math.Ceiling(rest.Count * percents[ring - 1] / 100.0);
            for (var i = start; i < Math.Max(start, end); i++)
            {
                rings[rest[i].Id] = ring;
            }
            start = Math.Max(start, end);
        }
        return rings;
    }

    private static uint Spread(Guid id) => BitConverter.ToUInt32(SHA256.HashData(id.ToByteArray()));
}
