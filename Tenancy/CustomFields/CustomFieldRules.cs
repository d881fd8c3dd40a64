using System.Text.RegularExpressions;

namespace TenantAspire.Tenancy.CustomFields;

/// <summary>What a field definition may be: its name's shape, its type's needs, and how many an entity may have.</summary>
public static partial class CustomFieldRules
{
    public const int MaxNameLength = 40;
    public const int MaxFieldsPerEntity = 50;
    public const int MaxIndexedPerEntity = 20;
    public const int MaxEnumValues = 100;
    public const int MaxEnumValueLength = 100;
    public const int MaxDescriptionLength = 500;
    public const int MaxTextLength = 2000;

    /// <summary>The slug rules, with '_' for '-' (a name is a JSON key and part of an index's name): lower-case, ≤ 40 chars.</summary>
    public const string NamePattern = "^[a-z][a-z0-9_]{0,39}$";

    [GeneratedRegex(@"^[a-z][a-z0-9_]{0,39}\z", RegexOptions.CultureInvariant)] // \z: $ would accept a final "\n"
    private static partial Regex Shape();

    public static bool IsValidName(string? name) => name is not null && Shape().IsMatch(name);

    /// <summary>Parses a wire name exactly (<c>users</c>, not <c>Users</c> or <c>0</c>).</summary>
    public static bool TryParseEntity(string? value, out CustomEntity entity) => TryParseWire(value, Wire, out entity);

    /// <summary>The entity's name on the wire and in routes: <c>users</c>, <c>projects</c>, <c>tasks</c>.</summary>
    public static string Wire(CustomEntity entity) => entity.ToString().ToLowerInvariant();

    public static string Wire(CustomFieldType type) => type.ToString().ToLowerInvariant();

    public static bool TryParseType(string? value, out CustomFieldType type) => TryParseWire(value, Wire, out type);

    /// <summary>Errors of one definition as asked for, keyed by the request's property; empty when it is valid.</summary>
    public static Dictionary<string, string[]> Validate(CustomFieldDefinition field)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!IsValidName(field.Name))
        {
            errors["name"] = [$"name must match {NamePattern} (a lower-case letter, then letters, digits or '_')."];
        }
        if (field.Description is { Length: > MaxDescriptionLength })
        {
            errors["description"] = [$"description is at most {MaxDescriptionLength} characters."];
        }
        if (field.Type == CustomFieldType.Enum)
        {
            if (field.EnumValues.Count is 0 or > MaxEnumValues)
            {
                errors["values"] = [$"an enum field needs 1 to {MaxEnumValues} values."];
            }
            else if (field.EnumValues.Any(v => string.IsNullOrWhiteSpace(v) || v.Length > MaxEnumValueLength))
            {
                errors["values"] = [$"each enum value is 1 to {MaxEnumValueLength} characters, not blank."];
            }
            else if (field.EnumValues.Distinct(StringComparer.Ordinal).Count() != field.EnumValues.Count)
            {
                errors["values"] = ["enum values must be distinct."];
            }
        }
        else if (field.EnumValues.Count > 0)
        {
            errors["values"] = ["values are only for enum fields."];
        }
        return errors;
    }

    /// <summary>Why <paramref name="field"/> cannot join the entity's <paramref name="others"/> (409), or null.</summary>
    public static string? CheckLimits(CustomFieldDefinition field, IReadOnlyCollection<CustomFieldDefinition> others)
    {
        var same = others.Where(o => o.Entity == field.Entity && o.Name != field.Name).ToList();
        if (same.Count + 1 > MaxFieldsPerEntity)
        {
            return $"{Wire(field.Entity)} already has {same.Count} custom fields, the most an entity may have ({MaxFieldsPerEntity}).";
        }
        if (field.Indexed && same.Count(o => o.Indexed) + 1 > MaxIndexedPerEntity)
        {
            return $"{Wire(field.Entity)} already has {same.Count(o => o.Indexed)} indexed custom fields, the most an entity may have ({MaxIndexedPerEntity}).";
        }
        return null;
    }

    private static bool TryParseWire<T>(string? value, Func<T, string> wire, out T parsed) where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(wire(candidate), value, StringComparison.Ordinal))
            {
                parsed = candidate;
                return true;
            }
        }
        parsed = default;
        return false;
    }
}
