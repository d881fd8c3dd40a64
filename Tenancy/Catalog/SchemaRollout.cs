namespace TenantAspire.Tenancy.Catalog;

/// <summary>Where a rollout is. Running, paused and halted rollouts are open: at most one open rollout exists (a unique index).</summary>
public enum RolloutState { Running, Paused, Halted, Completed, Aborted }

/// <summary>
/// A durable migration of the whole fleet to <see cref="TargetMigration"/>, ring by ring (ring 0 the canaries, then cumulative
/// percentages of the rest). The per-tenant work and outcome live in <see cref="RolloutTenant"/>; a worker that dies leaves both
/// for the next one to resume.
/// </summary>
public sealed class SchemaRollout
{
    public Guid Id { get; set; }
    public required string TargetMigration { get; set; }
    public RolloutState State { get; set; }

    /// <summary>Cumulative percentages of the non-canary tenants, ascending, ending at 100 (for example 1, 10, 50, 100).</summary>
    public required int[] RingPercents { get; set; }

    /// <summary>The ring being migrated: 0 the canaries, i the ring ending at RingPercents[i - 1]; -1 until planned.</summary>
    public int CurrentRing { get; set; } = -1;

    /// <summary>Tenant migrations at once per Postgres server, across every worker.</summary>
    public int Parallelism { get; set; }

    /// <summary>Share of a ring's tenants allowed to fail (after their retries) before the rollout halts.</summary>
    public double ErrorBudget { get; set; }

    /// <summary>Migrate hibernated tenants now (opening their databases briefly) instead of when they next wake.</summary>
    public bool IncludeHibernated { get; set; }
    public string? HaltReason { get; set; }
    public required string StartedBy { get; set; }

    /// <summary>W3C trace context of the request that started it: ring and tenant spans join that trace.</summary>
    public string? TraceParent { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? RingStartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>States of an open rollout (at most one exists: the migration's partial unique index lists the same three).</summary>
    public static readonly RolloutState[] OpenStates = [RolloutState.Running, RolloutState.Paused, RolloutState.Halted];

    public bool IsOpen => OpenStates.Contains(State);
}
