using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Servers;
using TenantAspire.Tenancy.Telemetry;
using TenantAspire.TenantApi.Admin;
using TenantAspire.TenantApi.Auth;
using TenantAspire.TenantApi.Tenants;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Apis;

/// <summary>Platform administration of tenants (role platform-admin). Long work is queued for the provisioning worker.</summary>
public static class TenantsApi
{
    public static IEndpointRouteBuilder MapTenantsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapAdminGroup("api/tenants", "Tenants").AddEndpointFilter<AdminTenantTelemetryFilter>();
        api.MapPost("", CreateAsync).WithName("CreateTenant")
            .WithSummary("Create a tenant on the least loaded open server of its tier; provisioning runs in the background.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("", ListAsync).WithName("ListTenants").WithSummary("List tenants, optionally by status.");
        OneTenant(api.MapGet("{slug}", GetAsync).WithName("GetTenant").WithSummary("A tenant's state."));
        OneTenant(api.MapPost("{slug}/suspend", SuspendAsync).WithName("SuspendTenant").WithSummary("Refuse the tenant's requests."), conflicts: true);
        OneTenant(api.MapPost("{slug}/resume", ResumeAsync).WithName("ResumeTenant").WithSummary("Serve a suspended tenant again."), conflicts: true);
        OneTenant(api.MapPost("{slug}/hibernate", HibernateAsync).WithName("HibernateTenant")
            .WithSummary("Close an active tenant's database now (background); its next request wakes it."), conflicts: true);
        OneTenant(api.MapPost("{slug}/wake", WakeAsync).WithName("WakeTenant").WithSummary("Open a hibernated tenant's database (background)."),
            conflicts: true);
        OneTenant(api.MapPut("{slug}/canary", SetCanaryAsync).WithName("SetTenantCanary")
            .WithSummary("Put the tenant in (or take it out of) the canary ring of schema rollouts."), conflicts: true);
        OneTenant(api.MapDelete("{slug}", DeleteAsync).WithName("DeleteTenant").WithSummary("Erase database, role and routes; audit stays."),
            conflicts: true);
        return app;
    }

    /// <summary>Operations on one tenant: 404 when there is none; 409 where its current state does not allow the change.</summary>
    private static void OneTenant(RouteHandlerBuilder endpoint, bool conflicts = false)
    {
        endpoint.ProducesProblem(StatusCodes.Status404NotFound);
        if (conflicts)
        {
            endpoint.ProducesProblem(StatusCodes.Status409Conflict);
        }
    }

    public static async Task<Results<Accepted<TenantDto>, ProblemHttpResult>> CreateAsync(
        CreateTenantRequest request, [AsParameters] AdminContext context, CancellationToken ct)
    {
        var s = context;
        if (TenantSlug.Validate(request.Slug) is { } slugError)
        {
            return BadRequest(slugError);
        }
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            return BadRequest("name is required and at most 200 characters.");
        }
        if (!TierInput.TryParse(request.Tier ?? "standard", out var tier))
        {
            return BadRequest(TierInput.Error);
        }

        TenantTelemetry.Enter(request.Slug!);
        if (ServerPlacement.Choose(tier, await ServerLoads.ReadAsync(s.Db, ct)) is not { } server)
        {
            return Unavailable($"No open server takes {tier.ToString().ToLowerInvariant()} tenants now (all draining, closed or full).",
                TimeSpan.FromSeconds(30), context.Http);
        }
        var tenant = TenantFactory.Request(s.Db, request.Slug!, request.Name.Trim(), tier, server,
            context.Actor(), OperationTrace.Capture(), s.Clock.GetUtcNow());
        tenant.IsCanary = request.Canary ?? false;
        try
        {
            await s.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return Conflict($"A tenant with slug '{request.Slug}' already exists.");
        }
        await s.Db.NotifyWorkersAsync(ct);
        await s.Routes.InvalidateAsync(tenant.Slug, ct); // a cached "unknown" must not outlive the creation
        return TypedResults.Accepted($"/api/tenants/{tenant.Slug}", TenantDto.From(tenant));
    }

    public static async Task<Results<Ok<PagedList<TenantDto>>, ProblemHttpResult>> ListAsync(
        [AsParameters] AdminContext context, string? status, int? page, int? pageSize, CancellationToken ct)
    {
        if (Paging.Validate(page, pageSize) is { } pagingError)
        {
            return BadRequest(pagingError);
        }
        var query = context.Db.Tenants.AsNoTracking();
        if (status is not null)
        {
            if (!Enum.TryParse<TenantStatus>(status, ignoreCase: true, out var parsed) || !status.All(char.IsAsciiLetter))
            {
                return BadRequest("status must be one of provisioning, active, suspended, hibernated, deleting, failed, moving, restoring.");
            }
            query = query.Where(t => t.Status == parsed);
        }
        return TypedResults.Ok(await Paging.PageAsync(query.OrderBy(t => t.Slug), page, pageSize, TenantDto.From, ct));
    }

    public static async Task<Results<Ok<TenantDto>, ProblemHttpResult>> GetAsync(
        string slug, [AsParameters] AdminContext context, CancellationToken ct) =>
        await FindAsync(context.Db, slug, ct) is { } tenant ? TypedResults.Ok(TenantDto.From(tenant)) : UnknownTenant(slug);

    public static Task<Results<Ok<TenantDto>, ProblemHttpResult>> SuspendAsync(
        string slug, [AsParameters] AdminContext context, CancellationToken ct) =>
        TransitionAsync(slug, context, TenantAction.Suspend, ct);

    public static Task<Results<Ok<TenantDto>, ProblemHttpResult>> ResumeAsync(
        string slug, [AsParameters] AdminContext context, CancellationToken ct) =>
        TransitionAsync(slug, context, TenantAction.Resume, ct);

    public static Task<Results<Accepted<TenantDto>, ProblemHttpResult>> HibernateAsync(
        string slug, [AsParameters] AdminContext context, CancellationToken ct) =>
        QueueAsync(slug, context, OperationKind.Hibernate, from: TenantStatus.Active, to: TenantStatus.Hibernated, ct);

    public static Task<Results<Accepted<TenantDto>, ProblemHttpResult>> WakeAsync(
        string slug, [AsParameters] AdminContext context, CancellationToken ct) =>
        QueueAsync(slug, context, OperationKind.Wake, from: TenantStatus.Hibernated, to: TenantStatus.Active, ct);

    /// <summary>Queues a hibernate or wake (once); 202 even when the tenant is already there (idempotent), 409 from other states.</summary>
    private static async Task<Results<Accepted<TenantDto>, ProblemHttpResult>> QueueAsync(
        string slug, AdminContext context, OperationKind kind, TenantStatus from, TenantStatus to, CancellationToken ct)
    {
        if (await FindAsync(context.Db, slug, ct) is not { } tenant)
        {
            return UnknownTenant(slug);
        }
        if (tenant.Status != from && tenant.Status != to)
        {
            return Conflict($"Tenant '{slug}' is {tenant.Status.ToString().ToLowerInvariant()}; it must be {from.ToString().ToLowerInvariant()}.");
        }
        if (tenant.Status == from)
        {
            await context.Db.EnqueueOnceAsync(tenant.Id, kind, OperationTrace.Capture(), context.Clock.GetUtcNow(), ct);
        }
        return TypedResults.Accepted($"/api/tenants/{slug}", TenantDto.From(tenant));
    }

    public static async Task<Results<Ok<TenantDto>, ProblemHttpResult>> SetCanaryAsync(
        string slug, CanaryRequest request, [AsParameters] AdminContext context, CancellationToken ct)
    {
        if (request.Canary is not { } canary)
        {
            return BadRequest("canary (true or false) is required.");
        }
        if (await FindAsync(context.Db, slug, ct) is not { } tenant)
        {
            return UnknownTenant(slug);
        }
        if (tenant.IsCanary != canary)
        {
            var now = context.Clock.GetUtcNow();
            tenant.IsCanary = canary;
            tenant.UpdatedAt = now;
            context.Db.AuditEvents.Add(Audit.Event(tenant, canary ? "canary-set" : "canary-cleared", context.Actor(), now));
            try
            {
                await context.Db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                return Conflict($"Tenant '{slug}' changed meanwhile; retry.");
            }
        }
        return TypedResults.Ok(TenantDto.From(tenant));
    }

    public static async Task<Results<Accepted<TenantDto>, ProblemHttpResult>> DeleteAsync(
        string slug, [AsParameters] AdminContext context, CancellationToken ct)
    {
        var s = context;
        if (await FindAsync(s.Db, slug, ct) is not { } tenant)
        {
            return UnknownTenant(slug);
        }
        if (tenant.Status != TenantStatus.Deleting)
        {
            if (!TenantLifecycle.Allows(tenant.Status, TenantAction.RequestDelete))
            {
                // A cut-over or a swap holds the tenant for seconds; deleting under it would strand one of its two databases.
                context.Http.Response.Headers.RetryAfter = "2";
                return Conflict($"Tenant '{slug}' is {TenantLifecycle.Name(tenant.Status)}; delete it once that ends (seconds).");
            }
            var now = s.Clock.GetUtcNow();
            TenantLifecycle.Apply(s.Db, tenant, TenantAction.RequestDelete, context.Actor(), now);
            s.Db.Enqueue(tenant.Id, OperationKind.Delete, OperationTrace.Capture(), now);
            try
            {
                // Delete wins: the worker claims it before the tenant's other queued work, which it cancels (OperationConflicts);
                // a running operation finishes first.
                await s.Db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                return Conflict($"Tenant '{slug}' changed meanwhile; retry.");
            }
            await s.Db.NotifyWorkersAsync(ct);
            await s.Routes.InvalidateAsync(slug, ct);
            await s.Registry.EvictAsync(tenant.Id); // this replica's pool; others drop theirs when idle
        }
        return TypedResults.Accepted($"/api/tenants/{slug}", TenantDto.From(tenant));
    }

    /// <summary>Suspend or resume: immediate, idempotent, and refused while a hibernate, wake, restore, undo or move of the tenant runs or is queued (it would meet a state changed under it).</summary>
    private static async Task<Results<Ok<TenantDto>, ProblemHttpResult>> TransitionAsync(
        string slug, AdminContext context, TenantAction action, CancellationToken ct)
    {
        var s = context;
        if (await FindAsync(s.Db, slug, ct) is not { } tenant)
        {
            return UnknownTenant(slug);
        }
        var edge = TenantLifecycle.Transitions.Single(t => t.Key.Action == action); // suspend and resume have one edge each
        var (from, to) = (edge.Key.From, edge.Value);
        if (tenant.Status == to)
        {
            return TypedResults.Ok(TenantDto.From(tenant)); // idempotent
        }
        if (tenant.Status != from)
        {
            return Conflict($"Tenant '{slug}' is {TenantLifecycle.Name(tenant.Status)}; it must be {TenantLifecycle.Name(from)}.");
        }
        if (await OperationConflicts.StatusBoundAsync(s.Db, tenant.Id, s.Clock.GetUtcNow(), ct) is { } open)
        {
            return Busy(slug, open, context.Http); // a queued restore or move would find the tenant suspended (or back) under it
        }
        TenantLifecycle.Apply(s.Db, tenant, action, context.Actor(), s.Clock.GetUtcNow());
        try
        {
            await s.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Conflict($"Tenant '{slug}' changed meanwhile; retry.");
        }
        await s.Routes.InvalidateAsync(slug, ct); // reaches every API replica through the backplane
        if (to != TenantStatus.Active)
        {
            await s.Registry.EvictAsync(tenant.Id); // this replica's pool; others drop theirs when idle
        }
        return TypedResults.Ok(TenantDto.From(tenant));
    }

    /// <summary>409 naming the tenant's running (or queued) operation, with a Retry-After: operations take seconds to minutes.</summary>
    internal static ProblemHttpResult Busy(string slug, TenantOperation operation, HttpContext http)
    {
        SetRetryAfter(http, TimeSpan.FromSeconds(5));
        return Conflict($"Tenant '{slug}' has an operation {(operation.State == OperationState.Running ? "running" : "queued")}: " +
                        $"{OperationConflicts.Describe(operation)}; retry when it ends.");
    }

    internal static async Task<Tenant?> FindAsync(CatalogDbContext db, string slug, CancellationToken ct) =>
        TenantSlug.IsValid(slug) ? await db.Tenants.SingleOrDefaultAsync(t => t.Slug == slug, ct) : null;

    /// <summary>One page of a list that belongs to a tenant (its moves, backups, restores, exports): 404 for an unknown tenant.</summary>
    internal static async Task<Results<Ok<PagedList<TDto>>, ProblemHttpResult>> PageOfTenantAsync<T, TDto>(
        string slug, AdminContext context, int? page, int? pageSize, Func<Tenant, IOrderedQueryable<T>> query, Func<T, TDto> map,
        CancellationToken ct)
    {
        if (Paging.Validate(page, pageSize) is { } pagingError)
        {
            return BadRequest(pagingError);
        }
        if (await FindAsync(context.Db, slug, ct) is not { } tenant)
        {
            return UnknownTenant(slug);
        }
        return TypedResults.Ok(await Paging.PageAsync(query(tenant), page, pageSize, map, ct));
    }

    internal static ProblemHttpResult UnknownTenant(string slug) =>
        TenantSlug.IsValid(slug) ? NotFound($"No tenant '{slug}'.") : BadRequest(TenantSlug.Validate(slug)!);
}

/// <summary>What every admin handler needs, bundled for [AsParameters].</summary>
public sealed record AdminContext(
    CatalogDbContext Db, TenantRouteCache Routes, TenantConnectionRegistry Registry, TimeProvider Clock, IConfiguration Configuration,
    ClaimsPrincipal User, HttpContext Http)
{
    public string Actor() => User.FindFirstValue("sub") ?? "unknown";
}
