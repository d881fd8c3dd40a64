using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Moves;

/// <summary>
/// Empties draining servers: every <see cref="MoveOptions.DrainInterval"/> each worker looks, and one at a time (an advisory lock
/// in the catalog) tops every draining server up to <see cref="MoveOptions.DrainConcurrency"/> open moves, oldest tenants first,
/// each to where <see cref="ServerPlacement"/> puts its tier. A drained server (no tenant left) becomes closed. Suspended tenants
/// cannot move and keep a server draining until they are resumed or deleted (GET /api/servers shows them).
/// </summary>
public sealed class DrainRunner(IServiceScopeFactory scopes, ProvisioningReadiness readiness, IOptions<MoveOptions> options,
    TimeProvider clock, ILogger<DrainRunner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await readiness.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PlanAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Drain planning failed; trying again");
            }
            await Task.Delay(options.Value.DrainInterval, clock, stoppingToken);
        }
    }

    private async Task PlanAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        if (!await db.Servers.AnyAsync(s => s.State == ServerState.Draining, ct))
        {
            return;
        }
        var queued = await db.InTransactionAsync(async token =>
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({AdvisoryLocks.Drain})", token);
            var count = 0;
            var now = clock.GetUtcNow();
            foreach (var server in await db.Servers.Where(s => s.State == ServerState.Draining).ToListAsync(token))
            {
                count += await TopUpAsync(db, server, now, token);
            }
            await db.SaveChangesAsync(token);
            return count;
        }, ct);
        if (queued > 0)
        {
            await db.NotifyWorkersAsync(ct);
        }
    }

    private async Task<int> TopUpAsync(CatalogDbContext db, DatabaseServer server, DateTimeOffset now, CancellationToken ct)
    {
        var open = await db.Moves.CountAsync(m => m.FromServer == server.Name && TenantMove.OpenPhases.Contains(m.Phase), ct);
        var movable = db.Tenants.Where(t => t.Server == server.Name
            && (t.Status == TenantStatus.Active || t.Status == TenantStatus.Hibernated)
            && !db.Moves.Any(m => m.TenantId == t.Id && TenantMove.OpenPhases.Contains(m.Phase)));
        if (open == 0 && !await db.Tenants.AnyAsync(t => t.Server == server.Name && t.Status != TenantStatus.Deleting
                                                          && t.Status != TenantStatus.Failed, ct))
        {
            server.State = ServerState.Closed;
            server.UpdatedAt = now;
            logger.LogInformation("Server {Server} is drained: closed", server.Name);
            return 0;
        }
        var queued = 0;
        foreach (var tenant in await movable.OrderBy(t => t.CreatedAt).Take(Math.Max(0, options.Value.DrainConcurrency - open)).ToListAsync(ct))
        {
            var (move, refusal) = await MovePlanner.PlanAsync(db, tenant, tenant.Tier, MovePlanner.DrainReason, "drain", OperationTrace.None, now, ct);
            if (refusal is not null)
            {
                logger.LogWarning("Draining {Server}: {Tenant} cannot move: {Reason}", server.Name, tenant.Slug, refusal.Reason);
            }
            queued += move is null ? 0 : 1;
        }
        return queued;
    }
}
