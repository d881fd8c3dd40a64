using System.Text.Json.Nodes;

namespace TenantAspire.Tenancy.CustomFields;

/// <summary>
/// The JSON Schema (draft 2020-12) of one tenant's <c>custom</c> objects, per entity: what <see cref="CustomValues"/> accepts,
/// so a client can validate before it sends. The OpenAPI document can only say "an object"; this is the tenant's own shape.
/// </summary>
public static class CustomFieldSchema
{
    public static JsonObject For(IReadOnlyCollection<CustomFieldDefinition> fields)
    {
        var entities = new JsonObject();
        foreach (var entity in Enum.GetValues<CustomEntity>())
        {
            entities[CustomFieldRules.Wire(entity)] = ForEntity(fields.Where(f => f.Entity == entity).OrderBy(f => f.Name, StringComparer.Ordinal));
        }
        return new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "Custom fields",
            ["type"] = "object",
            ["properties"] = entities,
        };
    }

    private static JsonObject ForEntity(IEnumerable<CustomFieldDefinition> fields)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var field in fields)
        {
            var property = field.Type switch
            {
                CustomFieldType.Text => new JsonObject { ["type"] = "string", ["maxLength"] = CustomFieldRules.MaxTextLength },
                CustomFieldType.Number => new JsonObject { ["type"] = "number" },
                CustomFieldType.Boolean => new JsonObject { ["type"] = "boolean" },
                CustomFieldType.Date => new JsonObject { ["type"] = "string", ["format"] = "date" },
                _ => new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. field.EnumValues.Select(v => (JsonNode)v)]) },
            };
            if (field.Description is { Length: > 0 } description)
            {
                property["description"] = description;
            }
            properties[field.Name] = property;
            if (field.Required)
            {
                required.Add(field.Name);
            }
        }
        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = required,
            ["additionalProperties"] = false,
        };
    }
}
