using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Moves;

/// <summary>
/// The catalog side of a move: every phase change is saved through the operation's lease (fenced: a worker that lost the lease
/// changes nothing), and every change of the tenant's route is published to all API replicas at once.
/// </summary>
public sealed class MoveStore(CatalogDbContext db, OperationLease lease, TenantRouteCache routes, IOptions<MoveOptions> options,
    TimeProvider clock)
{
    public Task<Tenant?> TenantAsync(Guid tenantId, CancellationToken ct) => db.Tenants.SingleOrDefaultAsync(t => t.Id == tenantId, ct);

    /// <summary>The tenant's open move, or (for the source's drop) the one switched last.</summary>
    public Task<TenantMove?> OpenAsync(Guid tenantId, CancellationToken ct) =>
        db.Moves.Where(m => m.TenantId == tenantId && TenantMove.OpenPhases.Contains(m.Phase)).SingleOrDefaultAsync(ct);

    public Task<TenantMove?> SwitchedAsync(Guid tenantId, CancellationToken ct) =>
        db.Moves.Where(m => m.TenantId == tenantId && m.Phase == MovePhase.Switched).OrderBy(m => m.SwitchedAt).FirstOrDefaultAsync(ct);

    public async Task SetPhaseAsync(TenantMove move, MovePhase phase, CancellationToken ct)
    {
        if (move.Phase == phase)
        {
            return;
        }
        move.Phase = phase;
        move.UpdatedAt = clock.GetUtcNow();
        await lease.SaveChangesAsync(ct);
    }

    /// <summary>Cut-over begins: the route says "moving", so every replica holds the tenant's new requests.</summary>
    public async Task BeginCutoverAsync(Tenant tenant, TenantMove move, CancellationToken ct)
    {
        TenantLifecycle.Apply(db, tenant, TenantAction.HoldForCutover, Audit.WorkerActor, clock.GetUtcNow());
        move.Phase = MovePhase.CuttingOver;
        move.UpdatedAt = tenant.UpdatedAt;
        await lease.SaveChangesAsync(ct);
        await routes.InvalidateAsync(tenant.Slug, ct);
    }

    /// <summary>
    /// The route switches to the target in one catalog transaction with the move's end (and, between servers, the queued drop of
    /// the source after the grace); held requests resume on the target.
    /// </summary>
    public async Task SwitchAsync(Tenant tenant, TenantMove move, TimeSpan pause, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        tenant.Server = move.ToServer;
        tenant.Tablespace = move.ToTablespace;
        tenant.Tier = move.ToTier ?? tenant.Tier;
        TenantLifecycle.Apply(db, tenant, TenantAction.Release, Audit.WorkerActor, now, "switched");
        move.PauseMs = (int)pause.TotalMilliseconds;
        move.SwitchedAt = now;
        move.UpdatedAt = now;
        if (move.Method == MoveMethod.Replication)
        {
            move.Phase = MovePhase.Switched;
            move.DropSourceAfter = now + options.Value.SourceGrace;
            db.Enqueue(tenant.Id, OperationKind.DropMoveSource, OperationTrace.None, move.DropSourceAfter.Value);
        }
        else
        {
            move.Phase = MovePhase.Completed;
            move.CompletedAt = now;
        }
        db.AuditEvents.Add(Audit.Event(tenant, "moved", Audit.WorkerActor, now,
            $"{move.FromServer}/{move.FromTablespace ?? "default"} → {move.ToServer}/{move.ToTablespace}, paused {move.PauseMs} ms"));
        await lease.SaveChangesAsync(ct);
        await routes.PublishAsync(tenant, ct);
        MoveTelemetry.Pause.Record(pause.TotalMilliseconds, new("move.method", move.Method.ToString()), new("outcome", "switched"));
        MoveTelemetry.Moves.Add(1, new("move.method", move.Method.ToString()), new("outcome", "switched"));
    }

    /// <summary>The cut-over gave up: the tenant is served from the source again, the move ends aborted with the reason.</summary>
    public async Task AbortAsync(Tenant tenant, TenantMove move, string reason, TimeSpan pause, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        TenantLifecycle.Apply(db, tenant, TenantAction.Release, Audit.WorkerActor, now, "cut-over aborted");
        move.Phase = MovePhase.Aborted;
        move.Error = reason;
        move.PauseMs = (int)pause.TotalMilliseconds;
        move.UpdatedAt = now;
        move.CompletedAt = now;
        db.AuditEvents.Add(Audit.Event(tenant, "move-aborted", Audit.WorkerActor, now, reason));
        await lease.SaveChangesAsync(ct);
        await routes.PublishAsync(tenant, ct);
        MoveTelemetry.Pause.Record(pause.TotalMilliseconds, new("move.method", move.Method.ToString()), new("outcome", "aborted"));
        MoveTelemetry.Moves.Add(1, new("move.method", move.Method.ToString()), new("outcome", "aborted"));
    }

    /// <summary>A worker died mid cut-over: the tenant is served from the source again while the move starts its copy over.</summary>
    public async Task UndoCutoverAsync(Tenant tenant, TenantMove move, CancellationToken ct)
    {
        if (tenant.Status == TenantStatus.Moving)
        {
            TenantLifecycle.Apply(db, tenant, TenantAction.Release, Audit.WorkerActor, clock.GetUtcNow(), "after an interrupted cut-over");
        }
        move.Phase = MovePhase.Copying;
        move.UpdatedAt = clock.GetUtcNow();
        await lease.SaveChangesAsync(ct);
        await routes.PublishAsync(tenant, ct);
    }

    public async Task CompleteAsync(TenantMove move, CancellationToken ct)
    {
        move.Phase = MovePhase.Completed;
        move.CompletedAt = clock.GetUtcNow();
        move.UpdatedAt = move.CompletedAt.Value;
        await lease.SaveChangesAsync(ct);
    }

    /// <summary>Retries exhausted: the move ends failed (the tenant stays where it is served from).</summary>
    public async Task FailAsync(Guid tenantId, string reason, CancellationToken ct)
    {
        var move = await OpenAsync(tenantId, ct);
        if (move is null)
        {
            return;
        }
        move.Phase = MovePhase.Failed;
        move.Error = reason;
        move.UpdatedAt = clock.GetUtcNow();
        move.CompletedAt = move.UpdatedAt;
        var tenant = await TenantAsync(tenantId, ct);
        if (tenant is { Status: TenantStatus.Moving })
        {
            TenantLifecycle.Apply(db, tenant, TenantAction.Release, Audit.WorkerActor, move.UpdatedAt, "move failed");
        }
        await lease.SaveChangesAsync(ct);
        if (tenant is not null)
        {
            await routes.PublishAsync(tenant, ct);
        }
    }
}
