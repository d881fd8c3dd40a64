using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TenantAspire.Tenancy.CustomFields;

/// <summary>A request's <c>custom</c> checked against the entity's fields: the value to store, or every error by field.</summary>
public sealed record CustomValuesResult(JsonObject Values, Dictionary<string, string[]> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Checks and normalises custom values against a tenant's definitions: unknown fields, wrong types, missing required fields and
/// values outside an enum are errors keyed <c>custom.&lt;name&gt;</c> (the API answers them as one 400). What is stored is
/// canonical: numbers as JSON numbers, dates as <c>yyyy-MM-dd</c>, no nulls (an absent field and a null one are the same).
/// </summary>
public static class CustomValues
{
    public const string DateFormat = "yyyy-MM-dd";

    /// <param name="custom">The request's <c>custom</c>; absent or null is an empty object.</param>
    /// <param name="fields">The entity's definitions.</param>
    public static CustomValuesResult Validate(JsonElement? custom, IReadOnlyCollection<CustomFieldDefinition> fields)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var values = new JsonObject();
        var byName = fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        if (custom is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } given)
        {
            if (given.ValueKind != JsonValueKind.Object)
            {
                errors["custom"] = ["custom must be an object of field names to values."];
                return new(values, errors);
            }
            foreach (var property in given.EnumerateObject())
            {
                var key = "custom." + (property.Name.Length > 60 ? property.Name[..60] + "…" : property.Name);
                if (!byName.TryGetValue(property.Name, out var field))
                {
                    errors[key] = ["no such custom field on this entity."];
                    continue;
                }
                if (property.Value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }
                if (Convert(field, property.Value, out var error) is { } node)
                {
                    values[field.Name] = node;
                }
                else
                {
                    errors[key] = [error!];
                }
            }
        }
        foreach (var field in fields.Where(f => f.Required && !values.ContainsKey(f.Name)))
        {
            errors.TryAdd("custom." + field.Name, ["this custom field is required."]);
        }
        return new(values, errors);
    }

    /// <summary>The stored form of one value, or null with the reason it does not fit the field.</summary>
    public static JsonNode? Convert(CustomFieldDefinition field, JsonElement value, out string? error)
    {
        error = null;
        switch (field.Type)
        {
            case CustomFieldType.Text when value.ValueKind == JsonValueKind.String:
                var text = value.GetString()!;
                if (text.Length <= CustomFieldRules.MaxTextLength)
                {
                    return JsonValue.Create(text);
                }
                error = $"a text value is at most {CustomFieldRules.MaxTextLength} characters.";
                return null;
            case CustomFieldType.Number when value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number):
                return JsonValue.Create(number);
            case CustomFieldType.Boolean when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                return JsonValue.Create(value.GetBoolean());
            case CustomFieldType.Date when value.ValueKind == JsonValueKind.String
                                           && DateOnly.TryParseExact(value.GetString(), DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date):
                return JsonValue.Create(date.ToString(DateFormat, CultureInfo.InvariantCulture));
            case CustomFieldType.Enum when value.ValueKind == JsonValueKind.String && field.EnumValues.Contains(value.GetString()!, StringComparer.Ordinal):
                return JsonValue.Create(value.GetString());
        }
        error = field.Type switch
        {
            CustomFieldType.Text => "expected a string.",
            CustomFieldType.Number => "expected a number.",
            CustomFieldType.Boolean => "expected true or false.",
            CustomFieldType.Date => $"expected a date as {DateFormat}.",
            _ => $"expected one of: {string.Join(", ", field.EnumValues)}.",
        };
        return null;
    }
}
