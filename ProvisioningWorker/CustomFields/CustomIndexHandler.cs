using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.CustomFields;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.ProvisioningWorker.CustomFields;

/// <summary>
/// Brings a tenant's custom-field indexes in line with its definitions: drops the ones no indexed field wants and the invalid ones
/// an interrupted build left, then builds (CONCURRENTLY: the tenant's writes go on) every pending one and every ready one that is
/// missing. Idempotent, so a retry after a crash, or two queued one after the other, do no harm. A build that Postgres refuses
/// (bad data, out of space) marks the field failed with the reason; a PUT of the field retries it.
/// </summary>
public sealed class CustomIndexHandler(CatalogDbContext db, CustomIndexes indexes, TimeProvider clock, ILogger<CustomIndexHandler> logger)
{
    public const string Step = "custom-indexes";

    public async Task RunAsync(TenantOperation operation, CancellationToken ct)
    {
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (tenant?.Status is not (TenantStatus.Active or TenantStatus.Suspended) || tenant.ProtectedPassword is null
            || !TenantMigrations.HasCustomFields(tenant.SchemaVersion))
        {
            return; // deleted, or asleep (its database is closed): the next read of its definitions queues this again
        }
        using var step = ProvisioningTelemetry.StartStep(Step, tenant.Slug);
        await using var session = await indexes.OpenAsync(tenant, tenant.Server, ct);
        var connection = session.Connection;
        var fields = await CustomIndexes.DefinitionsAsync(connection, ct);
        var existing = await CustomIndexes.ExistingAsync(connection, ct);
        var wanted = fields.Where(f => f.Indexed).ToDictionary(CustomFieldSql.IndexName, StringComparer.Ordinal);
        foreach (var (name, valid) in existing.ToList())
        {
            var rebuilt = wanted.TryGetValue(name, out var field) && field.IndexState == CustomIndexState.Pending;
            if (!valid || !wanted.ContainsKey(name) || rebuilt)
            {
                await CustomIndexes.ExecuteAsync(connection, CustomFieldSql.DropIndex(name), ct);
                existing.Remove(name);
            }
        }
        foreach (var field in wanted.Values.Where(f => !existing.ContainsKey(CustomFieldSql.IndexName(f)) && f.IndexState != CustomIndexState.Failed))
        {
            await BuildAsync(connection, tenant, field, ct);
        }
    }

    private async Task BuildAsync(NpgsqlConnection connection, Tenant tenant, CustomFieldDefinition field, CancellationToken ct)
    {
        string? error = null;
        try
        {
            await CustomIndexes.ExecuteAsync(connection, CustomFieldSql.CreateIndex(field), ct);
            await CustomIndexes.ExecuteAsync(connection, CustomFieldSql.Analyze(field.Entity), ct);
        }
        catch (PostgresException e) when (Failures.IsPermanent(e) || e.SqlState is PostgresErrorCodes.DiskFull or PostgresErrorCodes.ProgramLimitExceeded)
        {
            error = Failures.Describe(e);
            logger.LogWarning("Custom index {Index} of {Tenant} could not be built: {Error}", CustomFieldSql.IndexName(field), tenant.Slug, error);
            await CustomIndexes.ExecuteAsync(connection, CustomFieldSql.DropIndex(field), ct); // the invalid leftover
        }
        // Only the definition it was built for: a PUT meanwhile (another type) left it pending, for the operation queued behind this one.
        await CustomIndexes.ExecuteAsync(connection,
            "UPDATE public.custom_fields SET index_state = @state, index_error = @error, updated_at = @now " +
            "WHERE entity = @entity AND name = @name AND type = @type AND indexed",
            ct,
            new NpgsqlParameter("state", (error is null ? CustomIndexState.Ready : CustomIndexState.Failed).ToString()),
            new NpgsqlParameter("error", (object?)error ?? DBNull.Value),
            new NpgsqlParameter("now", clock.GetUtcNow()),
            new NpgsqlParameter("entity", field.Entity.ToString()),
            new NpgsqlParameter("name", field.Name),
            new NpgsqlParameter("type", field.Type.ToString()));
    }
}
