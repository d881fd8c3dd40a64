using Xunit.Abstractions;

namespace TenantAspire.Tests.Infrastructure;

/// <summary>
/// Starts the collections that take longest first, so they take the first <see cref="StackSlots"/> and the run's end is not a
/// long collection started last. The order comes from measured runs (docs/testing.md); collections not named keep their order.
/// </summary>
public sealed class LongestFirstOrderer : ITestCollectionOrderer
{
    /// <summary>Collection names (or, for a class that is its own collection, the class's name), longest first.</summary>
    public static readonly string[] Longest =
    [
        AspireAppCollection.Name, Storm.StormStackCollection.Name, Servers.ServersStackCollection.Name, Backups.BackupStackCollection.Name,
        nameof(Rollouts.UpgradeTests), RolloutStackCollection.Name, nameof(EndToEnd.LocalDataReuseTests), FaultStackCollection.Name,
    ];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.Select((c, i) => (Collection: c, Rank: Rank(c.DisplayName), Index: i))
            .OrderBy(c => c.Rank).ThenBy(c => c.Index).Select(c => c.Collection);

    private static int Rank(string displayName)
    {
        for (var i = 0; i < Longest.Length; i++)
        {
            if (displayName == Longest[i] || displayName.EndsWith("." + Longest[i], StringComparison.Ordinal))
            {
                return i;
            }
        }
        return Longest.Length;
    }
}
