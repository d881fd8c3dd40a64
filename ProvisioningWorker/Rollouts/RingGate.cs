using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Rollouts;

public enum RingVerdict { Working, Passed, OverBudget }

/// <summary>
/// Decides a ring's fate from its tenants' states: over budget as soon as more tenants failed than the budget allows (the rest of
/// the ring is not attempted), passed when none is pending or running any more, working otherwise. Deferred (hibernated, migrated
/// when they wake) and skipped tenants do not hold a ring back. Pure: unit-tested.
/// </summary>
public static class RingGate
{
    public static RingVerdict Judge(IReadOnlyDictionary<RolloutTenantState, int> counts, double errorBudget)
    {
        var total = counts.Values.Sum();
        var failed = counts.GetValueOrDefault(RolloutTenantState.Failed);
        if (failed > AllowedFailures(total, errorBudget))
        {
            return RingVerdict.OverBudget;
        }
        var open = counts.GetValueOrDefault(RolloutTenantState.Pending) + counts.GetValueOrDefault(RolloutTenantState.Running);
        return open > 0 ? RingVerdict.Working : RingVerdict.Passed;
    }

    /// <summary>Failures a ring of <paramref name="size"/> tolerates: the budget's share, rounded down (a canary ring of 2 tolerates none at 2 %).</summary>
    public static int AllowedFailures(int size, double errorBudget) => (int)Math.Floor(size * errorBudget + 1e-9);
}
