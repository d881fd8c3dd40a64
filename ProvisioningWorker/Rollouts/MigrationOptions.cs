using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>How tenant databases are migrated and how a rollout walks the fleet (section <c>Migrations</c>).</summary>
public sealed class MigrationOptions
{
    public const string Section = "Migrations";

    /// <summary>At start-up, roll every tenant behind this build's newest migration forward (once per target migration).</summary>
    public bool AutoRollout { get; set; } = true;

    /// <summary>Rings after the canaries, as cumulative percentages of the remaining tenants; the last must be 100.</summary>
    public int[] Rings { get; set; } = [.. RolloutRules.DefaultRings];

    /// <summary>Canary ring size when no tenant of the rollout is flagged canary: the oldest tenants.</summary>
    public int CanaryCount { get; set; } = 2;

    /// <summary>Share of a ring's tenants that may fail (after retries) before the rollout halts; 0.02 lets 2 of 100 fail.</summary>
    public double ErrorBudget { get; set; } = RolloutRules.DefaultErrorBudget;

    /// <summary>Tries per tenant before it counts as failed; lock and statement timeouts are retried with backoff.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Tenant migrations at once per Postgres server across all workers; 0 derives it from the server's connections.</summary>
    public int Parallelism { get; set; }

    /// <summary>A tenant's migration waits at most this long for a table lock its own requests hold, then is retried later.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest statement of a tenant's migration.</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A claimed tenant is another worker's to take over after this (must outlast the timeouts above).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Safety net beside LISTEN/NOTIFY: how often an idle runner looks for an open rollout.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Test hook: new tenants (and the template) stop at this migration instead of the newest, to build a fleet "at version N" that
    /// a rollout then takes to N + 1. Never set in production.
    /// </summary>
    public string? PinNewTenantsAt { get; set; }
}
