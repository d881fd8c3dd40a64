using TenantAspire.Tenancy.CustomFields;

namespace TenantAspire.TenantApi.CustomFields;

/// <summary>
/// A new custom field. <c>entity</c>: users, projects or tasks; <c>name</c>: ^[a-z][a-z0-9_]{0,39}$; <c>type</c>: text, number,
/// boolean, date (yyyy-MM-dd) or enum (with <c>values</c>); <c>indexed</c>: the worker builds an index in this tenant's database.
/// </summary>
public sealed record CustomFieldRequest(
    string? Entity, string? Name, string? Type, bool? Required, bool? Indexed, string? Description, List<string>? Values)
{
    [System.Text.Json.Serialization.JsonIgnore] // computed, never sent: keeps it out of the request schema too
    public CustomFieldChange Change => new(Type, Required, Indexed, Description, Values);
}

/// <summary>A field's new definition (PUT replaces it): a type change converts the stored values, or is refused if some do not.</summary>
public sealed record CustomFieldChange(string? Type, bool? Required, bool? Indexed, string? Description, List<string>? Values)
{
    /// <summary>The definition asked for, or the errors by property (the name's rules are checked by the caller's definition).</summary>
    public (CustomFieldDefinition? Field, Dictionary<string, string[]> Errors) ToDefinition(CustomEntity entity, string name)
    {
        if (!CustomFieldRules.TryParseType(Type, out var type))
        {
            return (null, new() { ["type"] = ["type must be one of text, number, boolean, date, enum."] });
        }
        var field = new CustomFieldDefinition
        {
            Entity = entity, Name = name, Type = type, Required = Required ?? false, Indexed = Indexed ?? false,
            Description = string.IsNullOrWhiteSpace(Description) ? null : Description.Trim(), EnumValues = Values ?? [],
        };
        var errors = CustomFieldRules.Validate(field);
        return (errors.Count == 0 ? field : null, errors);
    }
}

/// <summary>
/// A custom field. <c>indexState</c>: none (not indexed), pending (the worker is building or dropping its index), ready, or
/// failed (<c>indexError</c> says why; PUT the field again to retry).
/// </summary>
public sealed record CustomFieldDto(
    string Entity, string Name, string Type, bool Required, bool Indexed, string? Description, IReadOnlyList<string> Values,
    string IndexState, string? IndexError, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static CustomFieldDto From(CustomFieldDefinition f) => new(
        CustomFieldRules.Wire(f.Entity), f.Name, CustomFieldRules.Wire(f.Type), f.Required, f.Indexed, f.Description, f.EnumValues,
        f.IndexState.ToString().ToLowerInvariant(), f.IndexError, f.CreatedAt, f.UpdatedAt);
}
