using TenantAspire.Tenancy.Catalog;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>Spans per ring and per tenant (with <c>tenant.id</c>), and the rollout's counters; the version gauge is SchemaVersionCollector's.</summary>
public static class RolloutTelemetry
{
    public const string Name = "TenantAspire.Rollouts";
    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Tenants = Meter.CreateCounter<long>(
        "tenantaspire.rollout.tenants", "{tenant}", "Tenants a rollout finished with, by outcome (succeeded, failed, retried, deferred, skipped).");

    public static readonly Histogram<double> MigrationDuration = Meter.CreateHistogram<double>(
        "tenantaspire.tenant.migration.duration", "s", "Time to migrate one tenant database (connect, lock, script, commit).");

    public static Activity? StartTenant(ClaimedTenant claim, string target, ActivityContext parent)
    {
        var activity = Source.StartActivity("rollout tenant", ActivityKind.Internal, parent);
        activity?.SetTag(TenantTelemetry.TenantIdKey, claim.TenantSlug);
        activity?.SetTag("rollout.id", claim.RolloutId);
        activity?.SetTag("rollout.ring", claim.Ring);
        activity?.SetTag("rollout.target", target);
        activity?.SetTag("rollout.attempt", claim.Attempts);
        return activity;
    }

    /// <summary>A ring's span covers it from its start to the verdict (the ring may have been worked on by several workers).</summary>
    public static void RecordRing(RingOutcome outcome, ActivityContext parent)
    {
        using var activity = Source.StartActivity($"rollout ring {RolloutRules.RingName(outcome.Ring, outcome.Rollout.RingPercents)}",
            ActivityKind.Internal, parent, startTime: outcome.StartedAt);
        if (activity is null)
        {
            return;
        }
        activity.SetTag("rollout.id", outcome.Rollout.Id);
        activity.SetTag("rollout.ring", outcome.Ring);
        activity.SetTag("rollout.target", outcome.Rollout.TargetMigration);
        foreach (var (state, n) in outcome.Counts)
        {
            activity.SetTag($"rollout.tenants.{state.ToString().ToLowerInvariant()}", n);
        }
        if (outcome.Verdict == RingVerdict.OverBudget)
        {
            activity.SetStatus(ActivityStatusCode.Error, outcome.Rollout.HaltReason);
        }
        activity.SetEndTime(outcome.EndedAt.UtcDateTime);
    }
}
