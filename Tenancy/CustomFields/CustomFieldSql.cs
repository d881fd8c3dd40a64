using Npgsql;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.Tenancy.CustomFields;

/// <summary>
/// The one owner of the SQL text of custom fields: a field's value expression (the same words in a query and in its index, so
/// the planner uses the index), the index's name and statements, and the filter and sort clauses of a list. Names come from
/// the tenant's definitions (checked again by <see cref="SqlIdentifier.FieldKeyLiteral"/>); values are always bound parameters.
/// </summary>
public static class CustomFieldSql
{
    /// <summary>The entity's table in the tenant's database.</summary>
    public static string Table(CustomEntity entity) => entity switch
    {
        CustomEntity.Users => "users",
        CustomEntity.Projects => "projects",
        _ => "tasks",
    };

    /// <summary>
    /// The field's typed value. Dates stay text: stored as <c>yyyy-MM-dd</c> they sort as dates, and <c>text::date</c> depends
    /// on DateStyle, which Postgres does not allow in an index expression.
    /// </summary>
    public static string Expression(CustomFieldDefinition field)
    {
        var value = $"(custom ->> {SqlIdentifier.FieldKeyLiteral(field.Name)})";
        return field.Type switch
        {
            CustomFieldType.Number => $"({value}::numeric)",
            CustomFieldType.Boolean => $"({value}::boolean)",
            _ => value,
        };
    }

    /// <summary>ix_&lt;table&gt;_custom_&lt;name&gt;: at most 59 characters, so Postgres never truncates it.</summary>
    public static string IndexName(CustomFieldDefinition field) => $"ix_{Table(field.Entity)}_custom_{field.Name}";

    /// <summary>
    /// Built without locking writes out (<paramref name="concurrently"/>; a move's empty target builds it plainly); an interrupted
    /// concurrent build leaves an invalid index that the next attempt drops first.
    /// </summary>
    public static string CreateIndex(CustomFieldDefinition field, bool concurrently = true) =>
        $"CREATE INDEX {(concurrently ? "CONCURRENTLY " : "")}{SqlIdentifier.Quote(IndexName(field))} ON public.{Table(field.Entity)} ({Expression(field)})";

    public static string DropIndex(CustomFieldDefinition field) => DropIndex(IndexName(field));

    /// <summary>
    /// Statistics of the table, including the new index's expression: without them the planner guesses 0.5 % of rows match a
    /// custom value, and with a list's ORDER BY … LIMIT it walks the sort column's index instead (measured: 50 ms, not 3, at 100k).
    /// </summary>
    public static string Analyze(CustomEntity entity) => $"ANALYZE public.{Table(entity)}";

    /// <summary>Drops an index by the name <see cref="ExistingIndexes"/> found (an unwanted or invalid one).</summary>
    public static string DropIndex(string indexName) =>
        $"DROP INDEX CONCURRENTLY IF EXISTS public.{SqlIdentifier.Quote(indexName)}";

    /// <summary>The custom-field indexes in a tenant's database (name, valid): what the worker compares with the definitions.</summary>
    public const string ExistingIndexes =
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid " +
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname ~ '^ix_(users|projects|tasks)_custom_'";

    /// <summary>The definitions the worker needs, read on the tenant's own connection.</summary>
    public const string Definitions = "SELECT entity, name, type, indexed, index_state FROM public.custom_fields";

    /// <summary>How many stored values of the field would not convert to <paramref name="type"/> (a type change waits for 0).</summary>
    public static (string Sql, NpgsqlParameter[] Parameters) CountNotConverting(CustomFieldDefinition field, CustomFieldType type,
        IReadOnlyCollection<string> enumValues)
    {
        var value = $"(custom -> {SqlIdentifier.FieldKeyLiteral(field.Name)})";
        var fits = type switch
        {
            CustomFieldType.Text => $"jsonb_typeof({value}) IN ('string', 'number', 'boolean')", // every stored scalar has a text form
            CustomFieldType.Number => $"(jsonb_typeof({value}) = 'number' OR ({value} #>> '{{}}') ~ '^-?[0-9]+(\\.[0-9]+)?$')",
            CustomFieldType.Boolean => $"(jsonb_typeof({value}) = 'boolean' OR ({value} #>> '{{}}') IN ('true', 'false'))",
            CustomFieldType.Date => $"(({value} #>> '{{}}') ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$')",
            _ => $"({value} #>> '{{}}') = ANY($1)",
        };
        var sql = $"SELECT count(*) FROM public.{Table(field.Entity)} WHERE custom ? {SqlIdentifier.FieldKeyLiteral(field.Name)} AND NOT ({fits})";
        return (sql, type == CustomFieldType.Enum ? [new NpgsqlParameter { Value = enumValues.ToArray() }] : []);
    }

    /// <summary>
    /// Rewrites the field's stored values in <paramref name="type"/>'s canonical form (after <see cref="CountNotConverting"/>
    /// found none that would not convert): "12" becomes 12 for a number, 12 becomes "12" for text.
    /// </summary>
    public static string ConvertValues(CustomFieldDefinition field, CustomFieldType type)
    {
        var key = SqlIdentifier.FieldKeyLiteral(field.Name);
        var text = $"(custom ->> {key})";
        var converted = type switch
        {
            CustomFieldType.Number => $"to_jsonb({text}::numeric)",
            CustomFieldType.Boolean => $"to_jsonb({text}::boolean)",
            _ => $"to_jsonb({text})",
        };
        return $"UPDATE public.{Table(field.Entity)} SET custom = custom || jsonb_build_object({key}, {converted}) WHERE custom ? {key}";
    }

    /// <summary>Removes a deleted field's values, so a field of the same name created later starts empty.</summary>
    public static string RemoveValues(CustomFieldDefinition field)
    {
        var key = SqlIdentifier.FieldKeyLiteral(field.Name);
        return $"UPDATE public.{Table(field.Entity)} SET custom = custom - {key} WHERE custom ? {key}";
    }

    /// <summary>
    /// The WHERE and ORDER BY of a list with custom filters and a sort; values are named parameters <c>@cf0</c>, <c>@cf1</c>…
    /// (named, so EF Core's FromSql passes them through as they are). Without a sort the list keeps its own
    /// <paramref name="defaultOrder"/> (column names from code); rows without the sorted field come last, and the id breaks ties,
    /// so pages are stable.
    /// </summary>
    public static (string Where, string OrderBy, List<NpgsqlParameter> Parameters) Clauses(CustomQuery query, string defaultOrder = "id")
    {
        var conditions = new List<string>();
        var parameters = new List<NpgsqlParameter>();
        foreach (var filter in query.Filters)
        {
            var name = $"cf{parameters.Count}";
            parameters.Add(new NpgsqlParameter(name, filter.Value));
            conditions.Add($"{Expression(filter.Field)} {Operator(filter.Op)} @{name}");
        }
        var where = conditions.Count == 0 ? "TRUE" : string.Join(" AND ", conditions);
        var orderBy = query.Sort is { } sort
            ? $"{Expression(sort.Field)} {(sort.Descending ? "DESC" : "ASC")} NULLS LAST, id"
            : defaultOrder;
        return (where, orderBy, parameters);
    }

    private static string Operator(CustomFilterOp op) => op switch
    {
        CustomFilterOp.Eq => "=",
        CustomFilterOp.Gt => ">",
        CustomFilterOp.Gte => ">=",
        CustomFilterOp.Lt => "<",
        _ => "<=",
    };
}
