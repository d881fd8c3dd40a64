using Microsoft.AspNetCore.Http.HttpResults;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.TenantApi.Admin;
using TenantAspire.TenantApi.Auth;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Apis;

/// <summary>The Postgres servers (platform-admin): what each holds, and draining one (the worker moves every tenant off it).</summary>
public static class ServersApi
{
    public static IEndpointRouteBuilder MapServersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapAdminGroup("api/servers", "Servers");
        api.MapGet("", ListAsync).WithName("ListServers").WithSummary("Servers with their tenants, size, budget and open moves.");
        api.MapGet("{name}", GetAsync).WithName("GetServer").WithSummary("One server.").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("{name}/drain", DrainAsync).WithName("DrainServer")
            .WithSummary("Take no new tenants and move every tenant off the server (bounded concurrency; progress in GET).")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("{name}/open", OpenAsync).WithName("OpenServer")
            .WithSummary("Stop draining (moves under way finish) or reopen a closed server for placement.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static async Task<Ok<List<ServerDto>>> ListAsync([AsParameters] AdminContext context, CancellationToken ct) =>
        TypedResults.Ok(await ReadAsync(context.Db, name: null, ct));

    public static async Task<Results<Ok<ServerDto>, ProblemHttpResult>> GetAsync(string name, [AsParameters] AdminContext context,
        CancellationToken ct) =>
        (await ReadAsync(context.Db, name, ct)).SingleOrDefault() is { } server ? TypedResults.Ok(server) : UnknownServer(name);

    public static async Task<Results<Accepted<ServerDto>, ProblemHttpResult>> DrainAsync(string name, [AsParameters] AdminContext context,
        CancellationToken ct)
    {
        var servers = await context.Db.Servers.ToListAsync(ct);
        if (servers.SingleOrDefault(s => s.Name == name) is not { } server)
        {
            return UnknownServer(name);
        }
        // Every tier it holds tenants of must have another open server to go to, or the drain could never finish.
        var tiers = await context.Db.Tenants
            .Where(t => t.Server == name && t.Status != TenantStatus.Deleting && t.Status != TenantStatus.Failed)
            .Select(t => t.Tier).Distinct().ToListAsync(ct);
        var stranded = tiers.Where(tier => !servers.Any(s => s.Name != name && s.State == ServerState.Open && s.TierValues().Contains(tier)))
            .ToList();
        if (stranded.Count > 0)
        {
            return Conflict($"No other open server takes {string.Join(", ", stranded.Select(t => t.ToString().ToLowerInvariant()))} tenants; "
                + $"'{name}' cannot be drained.");
        }
        if (server.State != ServerState.Draining)
        {
            server.State = ServerState.Draining;
            server.UpdatedAt = context.Clock.GetUtcNow();
            await context.Db.SaveChangesAsync(ct);
        }
        return TypedResults.Accepted($"/api/servers/{name}", (await ReadAsync(context.Db, name, ct)).Single());
    }

    public static async Task<Results<Ok<ServerDto>, ProblemHttpResult>> OpenAsync(string name, [AsParameters] AdminContext context,
        CancellationToken ct)
    {
        if (await context.Db.Servers.SingleOrDefaultAsync(s => s.Name == name, ct) is not { } server)
        {
            return UnknownServer(name);
        }
        server.State = ServerState.Open;
        server.UpdatedAt = context.Clock.GetUtcNow();
        await context.Db.SaveChangesAsync(ct);
        return TypedResults.Ok((await ReadAsync(context.Db, name, ct)).Single());
    }

    private static async Task<List<ServerDto>> ReadAsync(CatalogDbContext db, string? name, CancellationToken ct)
    {
        var servers = await db.Servers.AsNoTracking().Where(s => name == null || s.Name == name).OrderBy(s => s.Name).ToListAsync(ct);
        var names = servers.Select(s => s.Name).ToList();
        var counts = await db.Tenants.AsNoTracking().Where(t => names.Contains(t.Server))
            .GroupBy(t => new { t.Server, t.Status }).Select(g => new { g.Key.Server, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        var moves = await db.Moves.AsNoTracking().Where(m => names.Contains(m.FromServer) && TenantMove.OpenPhases.Contains(m.Phase))
            .GroupBy(m => m.FromServer).Select(g => new { Server = g.Key, Count = g.Count() }).ToListAsync(ct);
        return [.. servers.Select(s =>
        {
            var byStatus = counts.Where(c => c.Server == s.Name)
                .ToDictionary(c => c.Status.ToString().ToLowerInvariant(), c => c.Count, StringComparer.Ordinal);
            return new ServerDto(s.Name, s.Tiers, s.State, s.Capacity, s.ConnectionBudget, s.Bytes,
                byStatus.Where(kv => kv.Key is not ("deleting" or "failed")).Sum(kv => kv.Value), byStatus,
                moves.SingleOrDefault(m => m.Server == s.Name)?.Count ?? 0, s.UpdatedAt, PitrDrillDto.Of(s));
        })];
    }

    private static ProblemHttpResult UnknownServer(string name) => NotFound($"No server '{name}'.");
}
