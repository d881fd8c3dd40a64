using System.Globalization;

namespace TenantAspire.Tenancy.CustomFields;

public enum CustomFilterOp { Eq, Gt, Gte, Lt, Lte }

/// <summary>One filter: the field (from the definitions), how it compares, and the typed value to bind.</summary>
public sealed record CustomFilter(CustomFieldDefinition Field, CustomFilterOp Op, object Value);

public sealed record CustomSort(CustomFieldDefinition Field, bool Descending);

/// <summary>The custom filters and sort of a list request, or the errors that make it a 400.</summary>
public sealed record CustomQuery(List<CustomFilter> Filters, CustomSort? Sort, Dictionary<string, string[]> Errors)
{
    public bool IsEmpty => Filters.Count == 0 && Sort is null;

    /// <summary>The query string's prefix for a custom field: <c>custom.&lt;name&gt;</c>.</summary>
    public const string Prefix = "custom.";

    /// <summary>
    /// Reads <c>custom.&lt;name&gt;=v</c> (equals), <c>custom.&lt;name&gt;.gt|gte|lt|lte=v</c> (numbers and dates) and
    /// <c>sort=[-]custom.&lt;name&gt;</c> from a query string. Names are looked up in the definitions (never used otherwise);
    /// values are parsed to the field's type. Other keys are not this parser's (the list's own paging).
    /// </summary>
    private static readonly Dictionary<string, CustomFilterOp> Ops = new(StringComparer.Ordinal)
    {
        ["eq"] = CustomFilterOp.Eq, ["gt"] = CustomFilterOp.Gt, ["gte"] = CustomFilterOp.Gte, ["lt"] = CustomFilterOp.Lt, ["lte"] = CustomFilterOp.Lte,
    };

    public static CustomQuery Parse(IEnumerable<KeyValuePair<string, string?[]>> query, IReadOnlyCollection<CustomFieldDefinition> fields)
    {
        var byName = fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var filters = new List<CustomFilter>();
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CustomSort? sort = null;
        foreach (var (key, values) in query)
        {
            if (key == "sort")
            {
                var wanted = values.Length == 1 ? values[0] : null;
                var descending = wanted?.StartsWith('-') == true;
                var name = descending ? wanted![1..] : wanted;
                if (name is null || !name.StartsWith(Prefix, StringComparison.Ordinal))
                {
                    continue; // not a custom sort: the list's own (or its error)
                }
                if (byName.TryGetValue(name[Prefix.Length..], out var field))
                {
                    sort = new(field, descending);
                }
                else
                {
                    errors["sort"] = ["no such custom field on this entity."];
                }
                continue;
            }
            if (!key.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }
            var rest = key[Prefix.Length..];
            var dot = rest.IndexOf('.', StringComparison.Ordinal);
            var (fieldName, opName) = dot < 0 ? (rest, "eq") : (rest[..dot], rest[(dot + 1)..]);
            var label = key.Length > 80 ? key[..80] + "…" : key;
            if (!byName.TryGetValue(fieldName, out var filtered))
            {
                errors[label] = ["no such custom field on this entity."];
                continue;
            }
            if (!Ops.TryGetValue(opName, out var op) || op != CustomFilterOp.Eq && filtered.Type is not (CustomFieldType.Number or CustomFieldType.Date))
            {
                errors[label] = [$"use {Prefix}{fieldName}=value" + (filtered.Type is CustomFieldType.Number or CustomFieldType.Date
                    ? $", or .gt, .gte, .lt, .lte after the name" : "") + "."];
                continue;
            }
            if (values.Length != 1 || ParseValue(filtered, values[0]) is not { } value)
            {
                errors[label] = [$"expected one {CustomFieldRules.Wire(filtered.Type)} value" + (filtered.Type == CustomFieldType.Date ? $" ({CustomValues.DateFormat})." : ".")];
                continue;
            }
            filters.Add(new(filtered, op, value));
        }
        return new(filters, sort, errors);
    }

    private static object? ParseValue(CustomFieldDefinition field, string? text) => text is null ? null : field.Type switch
    {
        CustomFieldType.Number => decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var n) ? n : null,
        CustomFieldType.Boolean => text switch { "true" => true, "false" => false, _ => null },
        CustomFieldType.Date => DateOnly.TryParseExact(text, CustomValues.DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d.ToString(CustomValues.DateFormat, CultureInfo.InvariantCulture) : null,
        CustomFieldType.Enum => field.EnumValues.Contains(text, StringComparer.Ordinal) ? text : null,
        _ => text.Length <= CustomFieldRules.MaxTextLength ? text : null,
    };
}
