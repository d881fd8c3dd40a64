namespace TenantAspire.Tenancy.Data;

public sealed class Project
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public Guid OwnerId { get; set; }
    public User? Owner { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <inheritdoc cref="User.Custom"/>
    public string? Custom { get; set; }
}
