using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.TenantApi.Admin;

/// <summary>
/// Start a rollout. Every field is optional: the newest tenant migration of this build, rings 1/10/50/100 % after the canaries,
/// parallelism derived by the worker from the server's connections, an error budget of 2 % per ring, hibernated tenants migrated
/// when they wake (<c>includeHibernated: true</c> wakes them now instead; they go back to sleep when idle again).
/// </summary>
public sealed record CreateRolloutRequest(string? Target, int[]? Rings, int? Parallelism, double? ErrorBudget, bool? IncludeHibernated);

public sealed record RingProgressDto(int Ring, string Name, int Total, int Pending, int Running, int Succeeded, int Failed, int Deferred, int Skipped);

public sealed record RolloutFailureDto(string Tenant, int Ring, int Attempts, string? Error, DateTimeOffset? At);

/// <summary>A rollout with its progress: per ring and state, the rate so far, the time left at that rate, and its failures.</summary>
public sealed record RolloutDto(
    Guid Id, string Target, RolloutState State, string? HaltReason, string StartedBy,
    int[] Rings, int? CurrentRing, string? CurrentRingName, int Parallelism, double ErrorBudget, bool IncludeHibernated,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? CompletedAt,
    int Tenants, int Done, double? TenantsPerSecond, double? EtaSeconds,
    IReadOnlyList<RingProgressDto> Progress, IReadOnlyList<RolloutFailureDto> Failures);
