using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.Tenancy.Catalog;

/// <summary>A new rollout row, the same whether an admin asked for it or a worker started it at start-up.</summary>
public static class RolloutFactory
{
    public static SchemaRollout Running(string target, int[] ringPercents, int parallelism, double errorBudget, bool includeHibernated,
        string startedBy, OperationTrace trace, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(),
        TargetMigration = target,
        State = RolloutState.Running,
        RingPercents = ringPercents,
        Parallelism = parallelism,
        ErrorBudget = errorBudget,
        IncludeHibernated = includeHibernated,
        StartedBy = startedBy,
        TraceParent = trace.TraceParent,
        CreatedAt = now,
        UpdatedAt = now,
    };
}
