namespace TenantAspire.Tenancy.Catalog;

/// <summary>
/// A tenant's part in a rollout. Pending → Running (claimed with a lease) → Succeeded | Failed; Deferred: hibernated, migrated when
/// it wakes; Skipped: no longer migratable here (deleted, or being provisioned or deleted: its own operation brings it current).
/// </summary>
public enum RolloutTenantState { Pending, Running, Succeeded, Failed, Deferred, Skipped }

public sealed class RolloutTenant
{
    public Guid RolloutId { get; set; }
    public Guid TenantId { get; set; }
    public required string TenantSlug { get; set; }
    public required string Server { get; set; }
    public int Ring { get; set; }
    public RolloutTenantState State { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public string? LeasedBy { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>Read from the tenant's own <c>__EFMigrationsHistory</c> before and after, never assumed.</summary>
    public string? FromMigration { get; set; }
    public string? ToMigration { get; set; }
    public double? DurationMs { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}
