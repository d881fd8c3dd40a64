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

    /// <summary>Built without locking writes out; an interrupted build leaves an invalid index that the next attempt drops first.</summary>
    public static string CreateIndex(CustomFieldDefinition field) =>
        $"CREATE INDEX CONCURRENTLY {SqlIdentifier.Quote(IndexName(field))} ON public.{Table(field.Entity)} ({Expression(field)})";

    public static string DropIndex(CustomFieldDefinition field) =>
        $"DROP INDEX CONCURRENTLY IF EXISTS public.{SqlIdentifier.Quote(IndexName(field))}";

    /// <summary>How many stored values of the field would not convert to <paramref name="type"/> (a type change waits for 0).</summary>
    public static (string Sql, NpgsqlParameter[] Parameters) CountNotConverting(CustomFieldDefinition field, CustomFieldType type,
        IReadOnlyCollection<string> enumValues)
    {
        var value = $"(custom -> {SqlIdentifier.FieldKeyLiteral(field.Name)})";
        var fits = type switch
        {
            CustomFieldType.Text => $"jsonb_typeof({value}) = 'string'",
            CustomFieldType.Number => $"(jsonb_typeof({value}) = 'number' OR ({value} #>> '{{}}') ~ '^-?[0-9]+(\\.[0-9]+)?$')",
            CustomFieldType.Boolean => $"(jsonb_typeof({value}) = 'boolean' OR ({value} #>> '{{}}') IN ('true', 'false'))",
            CustomFieldType.Date => $"(({value} #>> '{{}}') ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$')",
            _ => $"({value} #>> '{{}}') = ANY($1)",
        };
        var sql = $"SELECT count(*) FROM public.{Table(field.Entity)} WHERE custom ? {SqlIdentifier.FieldKeyLiteral(field.Name)} AND NOT ({fits})";
        return (sql, type == CustomFieldType.Enum ? [new NpgsqlParameter { Value = enumValues.ToArray() }] : []);
    }

    /// <summary>
    /// The WHERE and ORDER BY of a list with custom filters and a sort, numbering parameters from <paramref name="firstParameter"/>.
    /// Rows without the sorted field come last; the id breaks ties, so pages are stable.
    /// </summary>
    public static (string Where, string OrderBy, List<NpgsqlParameter> Parameters) Clauses(CustomQuery query, int firstParameter = 1)
    {
        var conditions = new List<string>();
        var parameters = new List<NpgsqlParameter>();
        foreach (var filter in query.Filters)
        {
            parameters.Add(new NpgsqlParameter { Value = filter.Value });
            conditions.Add($"{Expression(filter.Field)} {Operator(filter.Op)} ${firstParameter + parameters.Count - 1}");
        }
        var where = conditions.Count == 0 ? "TRUE" : string.Join(" AND ", conditions);
        var orderBy = query.Sort is { } sort
            ? $"{Expression(sort.Field)} {(sort.Descending ? "DESC" : "ASC")} NULLS LAST, id"
            : "id";
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
