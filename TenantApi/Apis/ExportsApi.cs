using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using TenantAspire.Tenancy.Backups;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;
using TenantAspire.TenantApi.Admin;
using TenantAspire.TenantApi.Tenants;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Apis;

/// <summary>
/// Exports (platform-admin): asked for here, made by the worker (pg_dump runs only there), downloaded from the store, streamed.
/// Restore one with <c>pg_restore --no-owner --dbname=&lt;target&gt; export.dump</c> (docs/operations.md).
/// </summary>
public static class ExportsApi
{
    public static IEndpointRouteBuilder MapExportsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapAdminGroup("api/tenants/{slug}/exports", "Exports").AddEndpointFilter<AdminTenantTelemetryFilter>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("", RequestAsync).WithName("ExportTenant")
            .WithSummary("Ask for an export of the tenant's database (pg_dump, custom format), made in the background.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("", ListAsync).WithName("ListTenantExports").WithSummary("The tenant's exports, newest first.");
        api.MapGet("{id:guid}", GetAsync).WithName("GetTenantExport").WithSummary("One export: its state, and its download once made.");
        api.MapGet("{id:guid}/download", DownloadAsync).WithName("DownloadTenantExport")
            .WithSummary("The export's bytes (pg_dump custom format), streamed from the store.")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status410Gone);
        return app;
    }

    public static async Task<Results<Accepted<ExportDto>, ProblemHttpResult>> RequestAsync(
        string slug, [AsParameters] AdminContext context, CancellationToken ct)
    {
        if (await TenantsApi.FindAsync(context.Db, slug, ct) is not { } tenant)
        {
            return TenantsApi.UnknownTenant(slug);
        }
        if (tenant.Status is not (TenantStatus.Active or TenantStatus.Suspended))
        {
            return Conflict($"Tenant '{slug}' is {tenant.Status.ToString().ToLowerInvariant()}; only active or suspended tenants can be exported.");
        }
        var now = context.Clock.GetUtcNow();
        var export = new TenantExport
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenant.Id,
            TenantSlug = tenant.Slug,
            State = ExportState.Pending,
            RequestedBy = context.Actor(),
            CreatedAt = now,
        };
        context.Db.Exports.Add(export);
        context.Db.AuditEvents.Add(Audit.Event(tenant, "export-requested", context.Actor(), now, $"export {export.Id}"));
        await context.Db.SaveChangesAsync(ct);
        // A running export operation has already read its list: this one is made by the next (queued behind it, never dropped).
        await context.Db.EnqueueOnceAsync(tenant.Id, OperationKind.Export, OperationTrace.Capture(), now, ct, behindRunning: true);
        return TypedResults.Accepted($"/api/tenants/{slug}/exports/{export.Id}", ExportDto.From(export));
    }

    public static Task<Results<Ok<PagedList<ExportDto>>, ProblemHttpResult>> ListAsync(
        string slug, [AsParameters] AdminContext context, int? page, int? pageSize, CancellationToken ct) =>
        TenantsApi.PageOfTenantAsync(slug, context, page, pageSize,
            tenant => context.Db.Exports.AsNoTracking().Where(x => x.TenantId == tenant.Id).OrderByDescending(x => x.CreatedAt), ExportDto.From, ct);

    public static async Task<Results<Ok<ExportDto>, ProblemHttpResult>> GetAsync(
        string slug, Guid id, [AsParameters] AdminContext context, CancellationToken ct) =>
        await FindAsync(slug, id, context, ct) switch
        {
            (_, { } export) => TypedResults.Ok(ExportDto.From(export)),
            (var problem, _) => problem!,
        };

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> DownloadAsync(
        string slug, Guid id, [AsParameters] AdminContext context, [FromServices] BackupStore store, CancellationToken ct)
    {
        var (problem, export) = await FindAsync(slug, id, context, ct);
        if (export is null)
        {
            return problem!;
        }
        if (export.State == ExportState.Expired || export.State == ExportState.Succeeded && export.ExpiresAt <= context.Clock.GetUtcNow())
        {
            // Enforced here, not only by the worker's clean-up (which may not have run yet, or runs with scheduled backups off).
            return Gone($"Export {id} expired at {export.ExpiresAt:O}; ask for a new one.");
        }
        switch (export.State)
        {
            case ExportState.Failed:
                return Conflict($"Export {id} failed: {export.Error}");
            case not ExportState.Succeeded:
                return Conflict($"Export {id} is {export.State.ToString().ToLowerInvariant()}; poll GET /api/tenants/{slug}/exports/{id}.");
        }
        Stream content;
        try
        {
            content = await store.OpenReadAsync(BackupStore.ExportsContainer, export.BlobName!, ct);
        }
        catch (BackupBlobMissingException)
        {
            return Gone($"Export {id} is no longer in the store; ask for a new one.");
        }
        return TypedResults.File(content, "application/octet-stream", $"{slug}-{export.CreatedAt:yyyyMMddHHmmss}.dump");
    }

    private static async Task<(ProblemHttpResult? Problem, TenantExport? Export)> FindAsync(
        string slug, Guid id, AdminContext context, CancellationToken ct)
    {
        if (await TenantsApi.FindAsync(context.Db, slug, ct) is not { } tenant)
        {
            return (TenantsApi.UnknownTenant(slug), null);
        }
        return await context.Db.Exports.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id && e.TenantId == tenant.Id, ct) is { } export
            ? (null, export)
            : (NotFound($"Tenant '{slug}' has no export {id}."), null);
    }
}
