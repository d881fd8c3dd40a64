namespace TenantAspire.Tenancy.Data;

public sealed class User
{
    public Guid Id { get; set; }
    public required string Email { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The tenant's custom values (a JSON object, see <see cref="CustomFields.CustomValues"/>); null on a read without them.</summary>
    public string? Custom { get; set; }
}
