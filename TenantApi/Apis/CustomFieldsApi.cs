using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Context;
using TenantAspire.Tenancy.CustomFields;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Telemetry;
using TenantAspire.TenantApi.Auth;
using TenantAspire.TenantApi.CustomFields;
using TenantAspire.TenantApi.OpenApi;
using TenantAspire.TenantApi.Tenants;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Apis;

/// <summary>
/// A tenant's custom field definitions, kept in its own database (so they travel with its backups, moves and exports). Members
/// read them; tenant admins change them. Definition changes are serialised per tenant (a table lock in the tenant's database), so
/// the limits hold under concurrent requests. Indexes are built and dropped by the worker (<see cref="OperationKind.CustomIndexes"/>).
/// </summary>
public static class CustomFieldsApi
{
    public static IEndpointRouteBuilder MapCustomFieldsApi(this IEndpointRouteBuilder app) =>
        app.MapTenantScoped("Custom fields", TenantPolicies.TenantMember, api =>
        {
            var fields = api.MapGroup("custom-fields").RequiresTenantSchema(TenantMigrations.CustomFields);
            fields.MapGet("", ListAsync).WithOperation("ListCustomFields", "The tenant's custom fields, by entity and name.");
            fields.MapGet("schema", SchemaAsync).WithOperation("GetCustomFieldSchema",
                "The JSON Schema (draft 2020-12) of the tenant's custom values, per entity: validate a request's custom before sending it.")
                .Produces<JsonObject>(StatusCodes.Status200OK, "application/schema+json");
            fields.MapGet("{entity}/{name}", GetAsync).WithOperation("GetCustomField", "One custom field.");
            fields.MapPost("", CreateAsync).WithOperation("CreateCustomField",
                    "Define a custom field on users, projects or tasks; an indexed one gets its index from the worker (indexState pending, then ready).")
                .RequireAuthorization(TenantPolicies.TenantAdmin);
            fields.MapPut("{entity}/{name}", UpdateAsync).WithOperation("UpdateCustomField",
                    "Replace a field's definition; a type change converts stored values, or is refused (409) while some would not convert.")
                .RequireAuthorization(TenantPolicies.TenantAdmin);
            fields.MapDelete("{entity}/{name}", DeleteAsync).WithOperation("DeleteCustomField",
                    "Remove a field, its values and its index.")
                .RequireAuthorization(TenantPolicies.TenantAdmin);
        });

    public static async Task<Ok<List<CustomFieldDto>>> ListAsync(TenantDb tenantDb, IndexRequests indexes, CancellationToken ct)
    {
        var fields = await (await tenantDb.GetAsync(ct)).CustomFields.AsNoTracking()
            .OrderBy(f => f.Entity).ThenBy(f => f.Name).ToListAsync(ct);
        await indexes.EnsureQueuedAsync(fields, ct);
        return TypedResults.Ok(fields.Select(CustomFieldDto.From).ToList());
    }

    public static async Task<JsonHttpResult<JsonObject>> SchemaAsync(TenantDb tenantDb, CancellationToken ct)
    {
        var fields = await (await tenantDb.GetAsync(ct)).CustomFields.AsNoTracking().ToListAsync(ct);
        return TypedResults.Json(CustomFieldSchema.For(fields), contentType: "application/schema+json");
    }

    public static async Task<Results<Ok<CustomFieldDto>, ProblemHttpResult>> GetAsync(
        string entity, string name, TenantDb tenantDb, IndexRequests indexes, CancellationToken ct)
    {
        if (!CustomFieldRules.TryParseEntity(entity, out var parsed))
        {
            return UnknownField(entity, name);
        }
        if (await (await tenantDb.GetAsync(ct)).CustomFields.AsNoTracking().SingleOrDefaultAsync(f => f.Entity == parsed && f.Name == name, ct) is not { } field)
        {
            return UnknownField(entity, name);
        }
        await indexes.EnsureQueuedAsync([field], ct);
        return TypedResults.Ok(CustomFieldDto.From(field));
    }

    public static async Task<Results<Created<CustomFieldDto>, ProblemHttpResult>> CreateAsync(
        CustomFieldRequest request, TenantDb tenantDb, IndexRequests indexes, HttpRequest http, TimeProvider clock, CancellationToken ct)
    {
        var entityKnown = CustomFieldRules.TryParseEntity(request.Entity, out var entity);
        var (field, errors) = request.Change.ToDefinition(entity, request.Name ?? "");
        if (!entityKnown)
        {
            errors["entity"] = ["entity must be one of users, projects, tasks."];
        }
        if (field is null || errors.Count > 0)
        {
            return Invalid(errors);
        }
        var db = await tenantDb.GetAsync(ct);
        var problem = await ChangeDefinitionsAsync(db, async () =>
        {
            var all = await db.CustomFields.AsNoTracking().ToListAsync(ct);
            if (all.Any(f => f.Entity == field.Entity && f.Name == field.Name))
            {
                return Conflict($"Custom field {Label(field)} already exists; change it with PUT.");
            }
            if (CustomFieldRules.CheckLimits(field, all) is { } limit)
            {
                return Conflict(limit);
            }
            field.IndexState = field.Indexed ? CustomIndexState.Pending : CustomIndexState.None;
            field.CreatedAt = field.UpdatedAt = clock.GetUtcNow();
            db.CustomFields.Add(field);
            return null;
        }, ct);
        if (problem is not null)
        {
            return problem;
        }
        if (field.Indexed)
        {
            await indexes.QueueAsync(ct);
        }
        return TypedResults.Created($"{http.PathBase}{http.Path.Value?.TrimEnd('/')}/{CustomFieldRules.Wire(field.Entity)}/{field.Name}",
            CustomFieldDto.From(field));
    }

    public static async Task<Results<Ok<CustomFieldDto>, ProblemHttpResult>> UpdateAsync(
        string entity, string name, CustomFieldChange request, TenantDb tenantDb, IndexRequests indexes, TimeProvider clock, CancellationToken ct)
    {
        if (!CustomFieldRules.TryParseEntity(entity, out var parsed))
        {
            return UnknownField(entity, name);
        }
        var (wanted, errors) = request.ToDefinition(parsed, name);
        if (wanted is null || errors.Count > 0)
        {
            return Invalid(errors);
        }
        var db = await tenantDb.GetAsync(ct);
        CustomFieldDefinition? field = null;
        var indexWork = false;
        var problem = await ChangeDefinitionsAsync(db, async () =>
        {
            var all = await db.CustomFields.ToListAsync(ct);
            if (all.SingleOrDefault(f => f.Entity == parsed && f.Name == name) is not { } found)
            {
                return UnknownField(entity, name);
            }
            field = found;
            if (CustomFieldRules.CheckLimits(wanted, all) is { } limit)
            {
                return Conflict(limit);
            }
            var retyped = wanted.Type != found.Type;
            if (retyped || wanted.Type == CustomFieldType.Enum && !wanted.EnumValues.ToHashSet().IsSupersetOf(found.EnumValues))
            {
                var (countSql, parameters) = CustomFieldSql.CountNotConverting(found, wanted.Type, wanted.EnumValues);
                if (await ScalarAsync(db, countSql, parameters, ct) is > 0 and var stuck)
                {
                    return Conflict($"{stuck} stored value(s) of {Label(found)} do not convert to {CustomFieldRules.Wire(wanted.Type)}"
                                    + (wanted.Type == CustomFieldType.Enum ? $" ({string.Join(", ", wanted.EnumValues)})" : "")
                                    + "; change or remove them first.");
                }
                if (retyped)
                {
                    await db.Database.ExecuteSqlRawAsync(CustomFieldSql.ConvertValues(found, wanted.Type), ct);
                }
            }
            // The index expression depends on the type: a retyped indexed field is rebuilt; a failed one is retried by a PUT.
            indexWork = wanted.Indexed != found.Indexed || wanted.Indexed && (retyped || found.IndexState == CustomIndexState.Failed);
            found.IndexState = !wanted.Indexed ? CustomIndexState.None : indexWork ? CustomIndexState.Pending : found.IndexState;
            found.IndexError = indexWork || !wanted.Indexed ? null : found.IndexError;
            (found.Type, found.Required, found.Indexed, found.Description, found.EnumValues) =
                (wanted.Type, wanted.Required, wanted.Indexed, wanted.Description, wanted.EnumValues);
            found.UpdatedAt = clock.GetUtcNow();
            return null;
        }, ct);
        if (problem is not null)
        {
            return problem;
        }
        if (indexWork)
        {
            await indexes.QueueAsync(ct);
        }
        return TypedResults.Ok(CustomFieldDto.From(field!));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string entity, string name, TenantDb tenantDb, IndexRequests indexes, CancellationToken ct)
    {
        if (!CustomFieldRules.TryParseEntity(entity, out var parsed))
        {
            return UnknownField(entity, name);
        }
        var db = await tenantDb.GetAsync(ct);
        var indexed = false;
        var problem = await ChangeDefinitionsAsync(db, async () =>
        {
            if (await db.CustomFields.SingleOrDefaultAsync(f => f.Entity == parsed && f.Name == name, ct) is not { } field)
            {
                return UnknownField(entity, name);
            }
            await db.Database.ExecuteSqlRawAsync(CustomFieldSql.RemoveValues(field), ct);
            db.CustomFields.Remove(field);
            indexed = field.Indexed;
            return null;
        }, ct);
        if (problem is not null)
        {
            return problem;
        }
        if (indexed)
        {
            await indexes.QueueAsync(ct);
        }
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Runs a definition change in one transaction, committed when <paramref name="change"/> returns no problem. Changes go one at
    /// a time per tenant: EXCLUSIVE lets reads of the definitions (every write of custom values) go on, and keeps two requests
    /// from both passing a limit check. Inside EF Core's retrying execution strategy, which owns user transactions: a retry
    /// starts the change again from a clean change tracker.
    /// </summary>
    private static Task<ProblemHttpResult?> ChangeDefinitionsAsync(TenantDbContext db, Func<Task<ProblemHttpResult?>> change, CancellationToken ct) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Database.ExecuteSqlRawAsync("LOCK TABLE public.custom_fields IN EXCLUSIVE MODE", ct);
            if (await change() is { } problem)
            {
                return problem; // rolled back
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return null;
        });

    private static async Task<long> ScalarAsync(TenantDbContext db, string sql, NpgsqlParameter[] parameters, CancellationToken ct)
    {
        await using var command = (NpgsqlCommand)db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
        command.Parameters.AddRange(parameters);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static string Label(CustomFieldDefinition field) => $"{CustomFieldRules.Wire(field.Entity)}.{field.Name}";

    private static ProblemHttpResult UnknownField(string entity, string name) =>
        NotFound($"No custom field {(entity.Length > 20 ? entity[..20] : entity)}.{(name.Length > 40 ? name[..40] : name)}.");
}
