namespace TenantAspire.Tenancy.CustomFields;

/// <summary>The entities a tenant can extend; each has one <c>custom</c> JSONB column.</summary>
public enum CustomEntity { Users, Projects, Tasks }

public enum CustomFieldType { Text, Number, Boolean, Date, Enum }

/// <summary>Where an indexed field's expression index stands in the tenant's database.</summary>
public enum CustomIndexState { None, Pending, Ready, Failed }

/// <summary>
/// A field one tenant defined on one entity. Stored in the tenant's own database (so it travels with its backups, moves and
/// exports); its values live in the entity's <c>custom</c> column under <see cref="Name"/>.
/// </summary>
public sealed class CustomFieldDefinition
{
    public CustomEntity Entity { get; set; }
    public required string Name { get; set; }
    public CustomFieldType Type { get; set; }
    public bool Required { get; set; }
    public bool Indexed { get; set; }
    public string? Description { get; set; }

    /// <summary>The allowed values of an <see cref="CustomFieldType.Enum"/> field, in the order given; empty otherwise.</summary>
    public List<string> EnumValues { get; set; } = [];
    public CustomIndexState IndexState { get; set; }
    public string? IndexError { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
