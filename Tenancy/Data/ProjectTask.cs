namespace TenantAspire.Tenancy.Data;

/// <summary>
/// A to-do inside a project. Shipped as the second tenant migration (<see cref="TenantMigrations.Tasks"/>) through a fleet
/// rollout: an additive table, so the endpoints that existed before it keep working on tenants still at the first migration.
/// </summary>
public sealed class ProjectTask
{
    public Guid Id { get; set; }
    public Guid ProjectId { get; set; }
    public Project? Project { get; set; }
    public required string Title { get; set; }
    public bool Done { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <inheritdoc cref="User.Custom"/>
    public string? Custom { get; set; }
}
