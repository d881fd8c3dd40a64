namespace TenantAspire.Tenancy.Catalog;

/// <summary>A lifecycle event. Outlives the tenant (no foreign key) and holds no tenant personal data.</summary>
public sealed class AuditEvent
{
    public long Id { get; set; }
    public Guid TenantId { get; set; }
    public required string TenantSlug { get; set; }
    public required string Action { get; set; }
    public required string Actor { get; set; }
    public string? Detail { get; set; }
    public DateTimeOffset At { get; set; }
}
