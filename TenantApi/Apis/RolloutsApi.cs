using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Telemetry;
using TenantAspire.TenantApi.Admin;
using TenantAspire.TenantApi.Auth;
using TenantAspire.TenantApi.Tenants;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Apis;

/// <summary>
/// Fleet schema rollouts (platform-admin): start one, watch it, pause, resume or abort it. The API only records the decision; the
/// provisioning workers do the work (docs/operations.md, "Shipping a schema change").
/// </summary>
public static class RolloutsApi
{
    private const int FailuresShown = 100;

    public static IEndpointRouteBuilder MapRolloutsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapAdminGroup("api/rollouts", "Rollouts");
        api.MapPost("", CreateAsync).WithName("StartRollout")
            .WithSummary("Start migrating every tenant behind the target, ring by ring; 409 while another rollout is open.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("", ListAsync).WithName("ListRollouts").WithSummary("Rollouts, newest first.");
        api.MapGet("{id:guid}", GetAsync).WithName("GetRollout")
            .WithSummary("A rollout's progress per ring and state, rate, ETA and failures.").ProducesProblem(StatusCodes.Status404NotFound);
        foreach (var (verb, summary) in new[]
                 {
                     ("pause", "Stop claiming tenants; those being migrated finish."),
                     ("resume", "Continue a paused or halted rollout; a halted ring's failed tenants are tried again."),
                     ("abort", "End an open rollout; migrated tenants stay migrated, the rest stay where they are."),
                 })
        {
            api.MapPost($"{{id:guid}}/{verb}", (Guid id, [AsParameters] RolloutContext context, CancellationToken ct) => TransitionAsync(id, verb, context, ct))
                .WithName($"{char.ToUpperInvariant(verb[0])}{verb[1..]}Rollout").WithSummary(summary)
                .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        }
        return app;
    }

    public static async Task<Results<Accepted<RolloutDto>, ProblemHttpResult>> CreateAsync(
        CreateRolloutRequest? request, [AsParameters] RolloutContext context, CancellationToken ct)
    {
        request ??= new(null, null, null, null, null);
        var target = request.Target ?? context.Schema.LatestMigration;
        if (!context.Schema.IsKnown(target))
        {
            return BadRequest($"target '{Shorten(target)}' is not a tenant migration of this build; known: {string.Join(", ", context.Schema.Migrations)}.");
        }
        var rings = request.Rings ?? RolloutRules.DefaultRings;
        if (RolloutRules.ValidateRings(rings) is { } ringError)
        {
            return BadRequest(ringError);
        }
        if (request.Parallelism is { } p && RolloutRules.ValidateParallelism(p) is { } parallelismError)
        {
            return BadRequest(parallelismError);
        }
        var budget = request.ErrorBudget ?? RolloutRules.DefaultErrorBudget;
        if (RolloutRules.ValidateErrorBudget(budget) is { } budgetError)
        {
            return BadRequest(budgetError);
        }
        if (await OpenAsync(context.Db, ct) is { } open)
        {
            return OpenConflict(open);
        }
        var rollout = RolloutFactory.Running(target, rings, request.Parallelism ?? 0, budget, request.IncludeHibernated ?? false,
            context.Actor(), OperationTrace.Capture(), context.Clock.GetUtcNow());
        context.Db.Rollouts.Add(rollout);
        try
        {
            await context.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            context.Db.ChangeTracker.Clear();
            return await OpenAsync(context.Db, ct) is { } winner ? OpenConflict(winner) : Conflict("Another rollout was started meanwhile.");
        }
        await context.Db.NotifyRolloutAsync(ct);
        return TypedResults.Accepted($"/api/rollouts/{rollout.Id}", await DescribeAsync(context.Db, rollout, context.Clock, ct));
    }

    public static async Task<Results<Ok<PagedList<RolloutDto>>, ProblemHttpResult>> ListAsync(
        [AsParameters] RolloutContext context, int? page, int? pageSize, CancellationToken ct)
    {
        if (Paging.Validate(page, pageSize) is { } error)
        {
            return BadRequest(error);
        }
        int p = page ?? 1, size = pageSize ?? Paging.DefaultPageSize;
        var query = context.Db.Rollouts.AsNoTracking().OrderByDescending(r => r.CreatedAt);
        var rollouts = await query.Skip((p - 1) * size).Take(size).ToListAsync(ct);
        var counts = await CountsAsync(context.Db, [.. rollouts.Select(r => r.Id)], ct); // one query for the page, not one per rollout
        var items = rollouts.Select(r => Describe(r, counts[r.Id], context.Clock, [])).ToList();
        return TypedResults.Ok(new PagedList<RolloutDto>(items, p, size, await query.CountAsync(ct)));
    }

    public static async Task<Results<Ok<RolloutDto>, ProblemHttpResult>> GetAsync(Guid id, [AsParameters] RolloutContext context, CancellationToken ct) =>
        await context.Db.Rollouts.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct) is { } rollout
            ? TypedResults.Ok(await DescribeAsync(context.Db, rollout, context.Clock, ct))
            : NotFound($"No rollout {id}.");

    private static async Task<Results<Ok<RolloutDto>, ProblemHttpResult>> TransitionAsync(
        Guid id, string verb, RolloutContext context, CancellationToken ct)
    {
        var db = context.Db;
        var (problem, changed) = await db.InTransactionAsync(async token =>
        {
            // Under the row lock the workers take to claim tenants and judge rings: a transition never interleaves with either.
            var rollout = (await db.Rollouts.FromSql($"SELECT * FROM schema_rollouts WHERE id = {id} FOR UPDATE").ToListAsync(token)).SingleOrDefault();
            if (rollout is null)
            {
                return (NotFound($"No rollout {id}."), null);
            }
            var (allowed, next) = verb switch
            {
                "pause" => (rollout.State == RolloutState.Running, RolloutState.Paused),
                "resume" => (rollout.State is RolloutState.Paused or RolloutState.Halted, RolloutState.Running),
                _ => (rollout.IsOpen, RolloutState.Aborted),
            };
            if (!allowed)
            {
                return (Conflict($"Rollout {id} is {rollout.State.ToString().ToLowerInvariant()}; it cannot {verb}."), null);
            }
            var now = context.Clock.GetUtcNow();
            if (verb == "resume" && rollout.State == RolloutState.Halted)
            {
                // The operator cleared the cause: the halted ring's failed tenants get a fresh set of attempts; finished ones stay finished.
                await db.RolloutTenants
                    .Where(t => t.RolloutId == id && t.Ring == rollout.CurrentRing && t.State == RolloutTenantState.Failed)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.State, RolloutTenantState.Pending).SetProperty(t => t.Attempts, 0)
                        .SetProperty(t => t.NextAttemptAt, now).SetProperty(t => t.CompletedAt, (DateTimeOffset?)null), token);
                rollout.HaltReason = null;
            }
            rollout.State = next;
            rollout.UpdatedAt = now;
            if (next == RolloutState.Aborted)
            {
                rollout.CompletedAt = now;
                rollout.HaltReason ??= $"aborted by {context.Actor()}";
            }
            await db.SaveChangesAsync(token);
            return ((ProblemHttpResult?)null, (SchemaRollout?)rollout);
        }, ct);
        if (problem is not null)
        {
            return problem;
        }
        await db.NotifyRolloutAsync(ct);
        return TypedResults.Ok(await DescribeAsync(db, changed!, context.Clock, ct));
    }

    private static async Task<RolloutDto> DescribeAsync(CatalogDbContext db, SchemaRollout r, TimeProvider clock, CancellationToken ct)
    {
        var failures = await db.RolloutTenants.AsNoTracking()
            .Where(t => t.RolloutId == r.Id && (t.State == RolloutTenantState.Failed || (t.State == RolloutTenantState.Pending && t.Error != null)))
            .OrderBy(t => t.Ring).ThenBy(t => t.CompletedAt).Take(FailuresShown)
            .Select(t => new RolloutFailureDto(t.TenantSlug, t.Ring, t.Attempts, t.Error, t.CompletedAt)).ToListAsync(ct);
        return Describe(r, (await CountsAsync(db, [r.Id], ct))[r.Id], clock, failures);
    }

    /// <summary>Tenants per (ring, state) of each rollout.</summary>
    private static async Task<ILookup<Guid, (int Ring, RolloutTenantState State, int N)>> CountsAsync(
        CatalogDbContext db, Guid[] ids, CancellationToken ct) =>
        (await db.RolloutTenants.AsNoTracking().Where(t => ids.Contains(t.RolloutId))
            .GroupBy(t => new { t.RolloutId, t.Ring, t.State })
            .Select(g => new { g.Key.RolloutId, g.Key.Ring, g.Key.State, N = g.Count() }).ToListAsync(ct))
        .ToLookup(c => c.RolloutId, c => (c.Ring, c.State, c.N));

    private static RolloutDto Describe(SchemaRollout r, IEnumerable<(int Ring, RolloutTenantState State, int N)> counts, TimeProvider clock,
        IReadOnlyList<RolloutFailureDto> failures)
    {
        var progress = counts.GroupBy(c => c.Ring).OrderBy(g => g.Key).Select(g =>
        {
            int N(RolloutTenantState s) => g.Where(c => c.State == s).Sum(c => c.N);
            return new RingProgressDto(g.Key, RolloutRules.RingName(g.Key, r.RingPercents), g.Sum(c => c.N), N(RolloutTenantState.Pending),
                N(RolloutTenantState.Running), N(RolloutTenantState.Succeeded), N(RolloutTenantState.Failed),
                N(RolloutTenantState.Deferred), N(RolloutTenantState.Skipped));
        }).ToList();
        var total = progress.Sum(x => x.Total);
        var open = progress.Sum(x => x.Pending + x.Running);
        var done = total - open;
        var elapsed = ((r.CompletedAt ?? clock.GetUtcNow()) - r.CreatedAt).TotalSeconds;
        double? rate = done > 0 && elapsed > 0 ? Math.Round(done / elapsed, 1) : null;
        double? eta = r.State == RolloutState.Running && rate > 0 ? Math.Round(open / rate.Value, 1) : null;
        return new(r.Id, r.TargetMigration, r.State, r.HaltReason, r.StartedBy, r.RingPercents,
            r.CurrentRing >= 0 ? r.CurrentRing : null, r.CurrentRing >= 0 ? RolloutRules.RingName(r.CurrentRing, r.RingPercents) : null,
            r.Parallelism, r.ErrorBudget, r.IncludeHibernated, r.CreatedAt, r.UpdatedAt, r.CompletedAt, total, done, rate, eta, progress, failures);
    }

    private static Task<SchemaRollout?> OpenAsync(CatalogDbContext db, CancellationToken ct) => db.Rollouts.AsNoTracking()
        .SingleOrDefaultAsync(r => SchemaRollout.OpenStates.Contains(r.State), ct);

    private static ProblemHttpResult OpenConflict(SchemaRollout open) =>
        Conflict($"Rollout {open.Id} to {open.TargetMigration} is {open.State.ToString().ToLowerInvariant()}; finish or abort it first.");

    private static string Shorten(string text) => text.Length > 150 ? text[..150] + "…" : text;
}

/// <summary>What every rollout handler needs, bundled for [AsParameters].</summary>
public sealed record RolloutContext(CatalogDbContext Db, TenantSchema Schema, TimeProvider Clock, ClaimsPrincipal User)
{
    public string Actor() => User.FindFirstValue("sub") ?? "unknown";
}
