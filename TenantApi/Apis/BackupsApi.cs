using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using TenantAspire.Tenancy.Backups;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;
using TenantAspire.TenantApi.Admin;
using TenantAspire.TenantApi.Tenants;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Apis;

/// <summary>A tenant's backups and restores, and the fleet's backup passes (platform-admin). The worker does the work.</summary>
public static class BackupsApi
{
    public static IEndpointRouteBuilder MapBackupsApi(this IEndpointRouteBuilder app)
    {
        var tenant = app.MapAdminGroup("api/tenants/{slug}", "Backups").AddEndpointFilter<AdminTenantTelemetryFilter>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapGet("backups", ListAsync).WithName("ListTenantBackups")
            .WithSummary("The tenant's backups, newest first, each with its newest restore drill.");
        tenant.MapPost("backups", BackUpAsync).WithName("BackUpTenant")
            .WithSummary("Back the tenant up now (background), whether or not it changed since its newest backup.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        tenant.MapPost("restore", RestoreAsync).WithName("RestoreTenant")
            .WithSummary("Restore a backup (backupId) or the tenant as it was at a moment (pointInTime): in place (requests held briefly at the swap; undo possible) or as a new sibling tenant (asSlug).")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        tenant.MapPost("restore/undo", UndoAsync).WithName("UndoTenantRestore")
            .WithSummary("Put back the database the tenant's newest restore replaced (within the undo window).")
            .ProducesProblem(StatusCodes.Status409Conflict);
        tenant.MapGet("recovery", RecoveryAsync).WithName("GetTenantRecoveryWindow")
            .WithSummary("The moments the tenant can be restored to (pointInTime), and how far its server's WAL archive has come.");
        tenant.MapGet("restores", ListRestoresAsync).WithName("ListTenantRestores").WithSummary("The tenant's restores, newest first.");
        tenant.MapGet("restores/{id:guid}", GetRestoreAsync).WithName("GetTenantRestore").WithSummary("One restore of the tenant.");

        var fleet = app.MapAdminGroup("api/backups", "Backups");
        fleet.MapPost("passes", RequestPassAsync).WithName("RequestBackupPass")
            .WithSummary("Ask the worker for a backup pass over the fleet now (changed-only, as scheduled).");
        fleet.MapGet("passes", ListPassesAsync).WithName("ListBackupPasses").WithSummary("The worker's backup passes, newest first.");
        fleet.MapGet("", ListAllAsync).WithName("ListBackups")
            .WithSummary("Backups, newest first, optionally of one tenant: by slug the live tenant's (else the newest deleted one's), or by tenantId any one, a deleted tenant's too until its grace ends.");
        fleet.MapPost("{id:guid}/restore", RestoreAsSiblingAsync).WithName("RestoreBackupAsTenant")
            .WithSummary("Restore any backup (a deleted tenant's too) into a new tenant asSlug.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    public static Task<Results<Ok<PagedList<BackupDto>>, ProblemHttpResult>> ListAsync(
        string slug, [AsParameters] AdminContext context, int? page, int? pageSize, CancellationToken ct) =>
        TenantsApi.PageOfTenantAsync(slug, context, page, pageSize,
            tenant => context.Db.Backups.AsNoTracking().Where(x => x.TenantId == tenant.Id).OrderByDescending(x => x.CreatedAt), BackupDto.From, ct);

    public static async Task<Results<Accepted<TenantDto>, ProblemHttpResult>> BackUpAsync(
        string slug, [AsParameters] AdminContext context, CancellationToken ct)
    {
        if (await TenantsApi.FindAsync(context.Db, slug, ct) is not { } tenant)
        {
            return TenantsApi.UnknownTenant(slug);
        }
        if (tenant.Status is not (TenantStatus.Active or TenantStatus.Suspended or TenantStatus.Hibernated))
        {
            return Conflict($"Tenant '{slug}' is {tenant.Status.ToString().ToLowerInvariant()}; only active, suspended or hibernated tenants are backed up.");
        }
        // A backup already queued (not started) will hold everything written until now: this request is folded into it. One that
        // already runs may not, so another is queued behind it (never dropped).
        await context.Db.EnqueueOnceAsync(tenant.Id, OperationKind.Backup, OperationTrace.Capture(), context.Clock.GetUtcNow(), ct,
            behindRunning: true);
        return TypedResults.Accepted($"/api/tenants/{slug}/backups", TenantDto.From(tenant));
    }

    /// <summary>
    /// The backup's checksum is verified here, before anything is queued (a corrupt backup is a 422 and changes nothing); the worker
    /// verifies it again as it restores, with the row counts and the schema version.
    /// </summary>
    public static async Task<Results<Accepted<RestoreDto>, ProblemHttpResult>> RestoreAsync(
        string slug, RestoreRequest request, [AsParameters] AdminContext context, [FromServices] BackupStore store, CancellationToken ct)
    {
        if ((request.BackupId is null) == (request.PointInTime is null))
        {
            return BadRequest("Give exactly one of backupId (restore a backup) and pointInTime (restore to a moment, RFC 3339).");
        }
        if (request.AsSlug is not null && TenantSlug.Validate(request.AsSlug) is { } slugError)
        {
            return BadRequest("asSlug: " + slugError);
        }
        if (await TenantsApi.FindAsync(context.Db, slug, ct) is not { } tenant)
        {
            return TenantsApi.UnknownTenant(slug);
        }
        RestoreSource source;
        if (request.PointInTime is { } pointInTime)
        {
            var window = await RecoveryWindow.ForAsync(context.Db, tenant, ct);
            if (window.Refuse(pointInTime, context.Clock.GetUtcNow()) is { } outside)
            {
                return BadRequest(outside);
            }
            source = RestoreSource.PointInTime(tenant, pointInTime.ToUniversalTime(), window.SourceAt(pointInTime).Placement);
        }
        else if (await context.Db.Backups.AsNoTracking().SingleOrDefaultAsync(b => b.Id == request.BackupId && b.TenantId == tenant.Id, ct) is not { } backup)
        {
            return NotFound($"Tenant '{slug}' has no backup {request.BackupId}.");
        }
        else if (await CorruptionAsync(store, backup, ct) is { } corrupt)
        {
            return corrupt;
        }
        else
        {
            source = RestoreSource.Of(backup);
        }
        if (request.AsSlug is not null)
        {
            TenantTelemetry.Enter(request.AsSlug);
        }
        var (restore, sibling, refusal) = await RestorePlanner.PlanAsync(context.Db, tenant, source, request.AsSlug, context.Actor(),
            OperationTrace.Capture(), context.Clock.GetUtcNow(), ct);
        return await QueueAsync(context, restore, sibling, refusal,
            sibling is null ? $"Tenant '{slug}' started a restore meanwhile; retry." : $"A tenant with slug '{request.AsSlug}' already exists.", ct);
    }

    public static async Task<Results<Ok<PagedList<BackupDto>>, ProblemHttpResult>> ListAllAsync(
        [AsParameters] AdminContext context, string? tenant, Guid? tenantId, int? page, int? pageSize, CancellationToken ct)
    {
        if (Paging.Validate(page, pageSize) is { } pagingError)
        {
            return BadRequest(pagingError);
        }
        if (tenant is not null && TenantSlug.Validate(tenant) is { } slugError)
        {
            return BadRequest("tenant: " + slugError);
        }
        var query = context.Db.Backups.AsNoTracking();
        if (tenantId is { } id)
        {
            query = query.Where(b => b.TenantId == id);
        }
        else if (tenant is not null)
        {
            // One instance of the slug, never two mixed: the live tenant, else the one deleted last (a slug can be reused).
            var instance = await context.Db.Tenants.AsNoTracking().Where(t => t.Slug == tenant).Select(t => (Guid?)t.Id).SingleOrDefaultAsync(ct)
                           ?? await context.Db.Backups.AsNoTracking().Where(b => b.TenantSlug == tenant)
                               .OrderByDescending(b => b.TenantDeletedAt).ThenByDescending(b => b.CreatedAt)
                               .Select(b => (Guid?)b.TenantId).FirstOrDefaultAsync(ct);
            query = query.Where(b => b.TenantId == instance);
        }
        if (tenantId is not null && tenant is not null)
        {
            query = query.Where(b => b.TenantSlug == tenant);
        }
        return TypedResults.Ok(await Paging.PageAsync(query.OrderByDescending(b => b.CreatedAt), page, pageSize, BackupDto.From, ct));
    }

    /// <summary>A deleted tenant's backup (kept for the grace) restored into a new tenant: how a mistaken delete is undone.</summary>
    public static async Task<Results<Accepted<RestoreDto>, ProblemHttpResult>> RestoreAsSiblingAsync(
        Guid id, RestoreRequest request, [AsParameters] AdminContext context, [FromServices] BackupStore store, CancellationToken ct)
    {
        if (request.AsSlug is null)
        {
            return BadRequest("asSlug (the new tenant's slug) is required.");
        }
        if (TenantSlug.Validate(request.AsSlug) is { } slugError)
        {
            return BadRequest("asSlug: " + slugError);
        }
        if (await context.Db.Backups.AsNoTracking().SingleOrDefaultAsync(b => b.Id == id, ct) is not { } backup)
        {
            return NotFound($"No backup {id}.");
        }
        if (await CorruptionAsync(store, backup, ct) is { } corrupt)
        {
            return corrupt;
        }
        TenantTelemetry.Enter(request.AsSlug);
        var (restore, sibling, refusal) = await RestorePlanner.PlanSiblingAsync(context.Db, RestoreSource.Of(backup), request.AsSlug, context.Actor(),
            OperationTrace.Capture(), context.Clock.GetUtcNow(), ct);
        return await QueueAsync(context, restore, sibling, refusal, $"A tenant with slug '{request.AsSlug}' already exists.", ct);
    }

    /// <summary>422 when the store's copy of the backup is not what was recorded (or is gone): nothing is queued then.</summary>
    private static async Task<ProblemHttpResult?> CorruptionAsync(BackupStore store, TenantBackup backup, CancellationToken ct)
    {
        try
        {
            var (sha, bytes) = await store.HashAsync(BackupStore.BackupsContainer, backup.BlobName, ct);
            return sha == backup.Sha256 && bytes == backup.Bytes ? null
                : Unprocessable($"Backup {backup.Id} is corrupt: the store holds {bytes} bytes with SHA-256 {sha}, " +
                                $"{backup.Bytes} bytes with {backup.Sha256} were recorded. Nothing was changed; restore another backup.");
        }
        catch (BackupBlobMissingException)
        {
            return Unprocessable($"Backup {backup.Id} is missing from the store. Nothing was changed; restore another backup.");
        }
    }

    /// <summary>Saves what the planner wrote and wakes the workers; the planner's refusal, or a race on the slug or the restore, is a problem.</summary>
    private static async Task<Results<Accepted<RestoreDto>, ProblemHttpResult>> QueueAsync(AdminContext context, TenantRestore? restore,
        Tenant? sibling, RestoreRefusal? refusal, string raced, CancellationToken ct)
    {
        if (refusal is not null)
        {
            return refusal.NoServer ? Unavailable(refusal.Reason, TimeSpan.FromSeconds(30), context.Http) : Conflict(refusal.Reason);
        }
        try
        {
            await context.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            return Conflict(raced);
        }
        await context.Db.NotifyWorkersAsync(ct);
        if (sibling is not null)
        {
            await context.Routes.InvalidateAsync(sibling.Slug, ct); // a cached "unknown" must not outlive the creation
        }
        return TypedResults.Accepted($"/api/tenants/{restore!.TenantSlug}/restores/{restore.Id}", RestoreDto.From(restore));
    }

    public static async Task<Results<Accepted<RestoreDto>, ProblemHttpResult>> UndoAsync(
        string slug, [AsParameters] AdminContext context, CancellationToken ct)
    {
        if (await TenantsApi.FindAsync(context.Db, slug, ct) is not { } tenant)
        {
            return TenantsApi.UnknownTenant(slug);
        }
        var (restore, refusal) = await RestorePlanner.PlanUndoAsync(context.Db, tenant, context.Actor(), OperationTrace.Capture(),
            context.Clock.GetUtcNow(), ct);
        if (refusal is not null)
        {
            return Conflict(refusal.Reason);
        }
        try
        {
            await context.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e is DbUpdateConcurrencyException
                                          || e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            return Conflict($"Tenant '{slug}' changed meanwhile; retry.");
        }
        await context.Db.NotifyWorkersAsync(ct);
        return TypedResults.Accepted($"/api/tenants/{slug}/restores/{restore!.Id}", RestoreDto.From(restore));
    }

    public static async Task<Results<Ok<RecoveryDto>, ProblemHttpResult>> RecoveryAsync(
        string slug, [AsParameters] AdminContext context, CancellationToken ct)
    {
        if (await TenantsApi.FindAsync(context.Db, slug, ct) is not { } tenant)
        {
            return TenantsApi.UnknownTenant(slug);
        }
        var window = await RecoveryWindow.ForAsync(context.Db, tenant, ct);
        var now = context.Clock.GetUtcNow();
        return TypedResults.Ok(new RecoveryDto(tenant.Slug, window.Server, window.Earliest, now, window.ArchivedUntil,
            window.ArchivedUntil is { } until ? Math.Round((now - until).TotalSeconds, 1) : null, window.ArchiveError,
            [.. window.History.Select(PlacementDto.Of)]));
    }

    public static Task<Results<Ok<PagedList<RestoreDto>>, ProblemHttpResult>> ListRestoresAsync(
        string slug, [AsParameters] AdminContext context, int? page, int? pageSize, CancellationToken ct) =>
        TenantsApi.PageOfTenantAsync(slug, context, page, pageSize,
            tenant => context.Db.Restores.AsNoTracking().Where(x => x.TenantId == tenant.Id).OrderByDescending(x => x.CreatedAt), RestoreDto.From, ct);

    public static async Task<Results<Ok<RestoreDto>, ProblemHttpResult>> GetRestoreAsync(
        string slug, Guid id, [AsParameters] AdminContext context, CancellationToken ct)
    {
        if (await TenantsApi.FindAsync(context.Db, slug, ct) is not { } tenant)
        {
            return TenantsApi.UnknownTenant(slug);
        }
        return await context.Db.Restores.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id && r.TenantId == tenant.Id, ct) is { } restore
            ? TypedResults.Ok(RestoreDto.From(restore))
            : NotFound($"Tenant '{slug}' has no restore {id}.");
    }

    public static async Task<Accepted> RequestPassAsync([AsParameters] AdminContext context, CancellationToken ct)
    {
        await context.Db.RequestBackupPassAsync(context.Actor(), ct);
        return TypedResults.Accepted("/api/backups/passes");
    }

    public static async Task<Results<Ok<PagedList<BackupPassDto>>, ProblemHttpResult>> ListPassesAsync(
        [AsParameters] AdminContext context, int? page, int? pageSize, CancellationToken ct)
    {
        if (Paging.Validate(page, pageSize) is { } pagingError)
        {
            return BadRequest(pagingError);
        }
        var query = context.Db.BackupPasses.AsNoTracking().OrderByDescending(p => p.StartedAt);
        return TypedResults.Ok(await Paging.PageAsync(query, page, pageSize, BackupPassDto.From, ct));
    }
}
