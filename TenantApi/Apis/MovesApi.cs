using Microsoft.AspNetCore.Http.HttpResults;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Servers;
using TenantAspire.Tenancy.Telemetry;
using TenantAspire.TenantApi.Admin;
using TenantAspire.TenantApi.Auth;
using TenantAspire.TenantApi.Tenants;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Apis;

/// <summary>Tier changes (a move to a server and tablespace of the tier) and the tenant's moves (platform-admin).</summary>
public static class MovesApi
{
    public static IEndpointRouteBuilder MapMovesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapAdminGroup("api/tenants/{slug}", "Moves").AddEndpointFilter<AdminTenantTelemetryFilter>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("tier", ChangeTierAsync).WithName("ChangeTenantTier")
            .WithSummary("Change the tenant's tier: its database moves (online) to a server and tablespace of that tier.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("moves", ListAsync).WithName("ListTenantMoves").WithSummary("The tenant's moves, newest first.");
        api.MapGet("moves/{id:guid}", GetAsync).WithName("GetTenantMove").WithSummary("One move of the tenant.");
        return app;
    }

    /// <returns>202 with the move queued; 200 with the tenant when nothing has to move (already placed for that tier).</returns>
    public static async Task<Results<Accepted<MoveDto>, Ok<TenantDto>, ProblemHttpResult>> ChangeTierAsync(
        string slug, TierChangeRequest request, [AsParameters] AdminContext context, CancellationToken ct)
    {
        if (!TierInput.TryParse(request.Tier, out var tier))
        {
            return BadRequest(TierInput.Error);
        }
        if (await TenantsApi.FindAsync(context.Db, slug, ct) is not { } tenant)
        {
            return TenantsApi.UnknownTenant(slug);
        }
        var now = context.Clock.GetUtcNow();
        var (move, refusal) = await MovePlanner.PlanAsync(context.Db, tenant, tier, MovePlanner.TierReason, context.Actor(),
            OperationTrace.Capture(), now, ct);
        if (refusal is not null)
        {
            return refusal.NoServer ? Unavailable(refusal.Reason, TimeSpan.FromSeconds(30), context.Http) : Conflict(refusal.Reason);
        }
        tenant.UpdatedAt = now;
        try
        {
            await context.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e is DbUpdateConcurrencyException
                                          || e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            return Conflict($"Tenant '{slug}' changed or started moving meanwhile; retry.");
        }
        if (move is null)
        {
            await context.Routes.InvalidateAsync(slug, ct); // the tier (rate limits) changed in place
            return TypedResults.Ok(TenantDto.From(tenant));
        }
        await context.Db.NotifyWorkersAsync(ct);
        return TypedResults.Accepted($"/api/tenants/{slug}/moves/{move.Id}", MoveDto.From(move));
    }

    public static Task<Results<Ok<PagedList<MoveDto>>, ProblemHttpResult>> ListAsync(
        string slug, [AsParameters] AdminContext context, int? page, int? pageSize, CancellationToken ct) =>
        TenantsApi.PageOfTenantAsync(slug, context, page, pageSize,
            tenant => context.Db.Moves.AsNoTracking().Where(x => x.TenantId == tenant.Id).OrderByDescending(x => x.CreatedAt), MoveDto.From, ct);

    public static async Task<Results<Ok<MoveDto>, ProblemHttpResult>> GetAsync(
        string slug, Guid id, [AsParameters] AdminContext context, CancellationToken ct)
    {
        if (await TenantsApi.FindAsync(context.Db, slug, ct) is not { } tenant)
        {
            return TenantsApi.UnknownTenant(slug);
        }
        return await context.Db.Moves.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id && m.TenantId == tenant.Id, ct) is { } move
            ? TypedResults.Ok(MoveDto.From(move))
            : NotFound($"Tenant '{slug}' has no move {id}.");
    }
}
