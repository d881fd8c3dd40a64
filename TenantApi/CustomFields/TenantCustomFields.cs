using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;
using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Context;
using TenantAspire.Tenancy.CustomFields;
using TenantAspire.Tenancy.Data;
using TenantAspire.TenantApi.Admin;

namespace TenantAspire.TenantApi.CustomFields;

/// <summary>
/// The request's view of its tenant's custom fields, for the users, projects and tasks endpoints. Those endpoints existed before
/// the CustomFields migration and still serve tenants a rollout has not reached (expand-only, docs/operations.md): on such a
/// tenant there are no definitions, so no custom values (its <see cref="TenantDbContext"/> model has no <c>custom</c> column).
/// </summary>
public sealed class TenantCustomFields(ITenantContext tenant, TenantDb tenantDb)
{
    public bool Available => TenantMigrations.HasCustomFields(tenant.Tenant.SchemaVersion);

    /// <summary>The entity's definitions, by name; none on a tenant behind the migration.</summary>
    public async Task<List<CustomFieldDefinition>> OfAsync(CustomEntity entity, CancellationToken ct) => Available
        ? await (await tenantDb.GetAsync(ct)).CustomFields.AsNoTracking().Where(f => f.Entity == entity).OrderBy(f => f.Name).ToListAsync(ct)
        : [];

    /// <summary>
    /// A request's <c>custom</c> checked against the definitions: the JSON to store, null to leave what is stored (an update
    /// that does not send <c>custom</c>), or the errors by field. A create without <c>custom</c> still needs its required fields.
    /// </summary>
    public async Task<(string? Json, Dictionary<string, string[]> Errors)> CheckAsync(
        CustomEntity entity, JsonObject? custom, bool creating, CancellationToken ct)
    {
        if (custom is null && !creating)
        {
            return (null, []);
        }
        var result = CustomValues.Validate(custom is null ? null : JsonSerializer.SerializeToElement(custom), await OfAsync(entity, ct));
        return !result.IsValid ? (null, result.Errors) : (Available ? result.Values.ToJsonString() : null, []);
    }

    /// <summary>The list's custom filters and sort, parsed against the entity's definitions.</summary>
    public async Task<CustomQuery> QueryAsync(CustomEntity entity, HttpRequest request, CancellationToken ct)
    {
        var query = request.Query.Select(q => KeyValuePair.Create(q.Key, (string?[])q.Value.ToArray()));
        var relevant = query.Where(q => q.Key.StartsWith(CustomQuery.Prefix, StringComparison.Ordinal) || q.Key == "sort").ToList();
        return relevant.Count == 0 ? new([], null, []) : CustomQuery.Parse(relevant, await OfAsync(entity, ct));
    }

    /// <summary>
    /// One page of a list filtered or sorted by custom fields: SQL from <see cref="CustomFieldSql"/> (names from the definitions,
    /// every value bound), run as written by EF Core (no composition, so the ORDER BY is the one the page uses).
    /// <paramref name="scope"/> is a fixed condition of the list itself (a project's tasks), with its own parameter.
    /// </summary>
    public static async Task<PagedList<TDto>> PageAsync<T, TDto>(
        DbSet<T> set, CustomEntity entity, CustomQuery query, string defaultOrder, (string Sql, Func<NpgsqlParameter> Parameter)? scope,
        int? page, int? pageSize, Func<T, TDto> map, CancellationToken ct) where T : class
    {
        int p = page ?? 1, size = pageSize ?? Paging.DefaultPageSize;
        var table = CustomFieldSql.Table(entity);
        // Parameters belong to one command: each statement gets its own.
        (string Where, string OrderBy, List<NpgsqlParameter> Parameters) Clauses()
        {
            var (where, orderBy, parameters) = CustomFieldSql.Clauses(query, defaultOrder);
            if (scope is { } fixedScope)
            {
                where = $"{fixedScope.Sql} AND {where}";
                parameters.Add(fixedScope.Parameter());
            }
            return (where, orderBy, parameters);
        }
        var rows = Clauses();
        rows.Parameters.Add(new NpgsqlParameter("page_limit", size));
        rows.Parameters.Add(new NpgsqlParameter("page_offset", (p - 1) * size));
        // Identifiers and expressions come from CustomFieldSql (names checked against the definitions); every value is a parameter.
        var sql = $"SELECT * FROM public.{table} WHERE {rows.Where} ORDER BY {rows.OrderBy} LIMIT @page_limit OFFSET @page_offset";
        var items = await set.FromSqlRaw(sql, [.. rows.Parameters]).AsNoTracking().ToListAsync(ct);
        var total = items.Count;
        if (p > 1 || items.Count == size)
        {
            var count = Clauses();
            var countSql = $"SELECT count(*)::int AS \"Value\" FROM public.{table} WHERE {count.Where}";
            total = (await set.GetService<ICurrentDbContext>().Context.Database.SqlQueryRaw<int>(countSql, [.. count.Parameters]).ToListAsync(ct))[0];
        }
        return new PagedList<TDto>([.. items.Select(map)], p, size, total);
    }
}
