using Microsoft.EntityFrameworkCore;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.Tenancy.Servers;

/// <summary>Why a move could not be asked for; the API maps it to 409 (or 503 when no server can take the tenant).</summary>
public sealed record MoveRefusal(string Reason, bool NoServer = false);

/// <summary>
/// Asks for a tenant's move (a tier change or a drain): decides where it goes (<see cref="ServerPlacement"/>) and how (a tablespace
/// change on its own server, or logical replication to another), writes the <see cref="TenantMove"/> and queues its operation, in
/// the caller's unit of work. The one owner of "start a move", for the API and the worker's drain alike.
/// </summary>
public static class MovePlanner
{
    public const string TierReason = "tier";
    public const string DrainReason = "drain";

    /// <summary>
    /// The move for <paramref name="tenant"/> to <paramref name="tier"/>: null and no refusal when it is already where that tier
    /// belongs (only the tier is updated then, if it differs).
    /// </summary>
    public static async Task<(TenantMove? Move, MoveRefusal? Refusal)> PlanAsync(CatalogDbContext db, Tenant tenant, TenantTier tier,
        string reason, string actor, OperationTrace trace, DateTimeOffset now, CancellationToken ct)
    {
        if (tenant.Status is not (TenantStatus.Active or TenantStatus.Hibernated))
        {
            return (null, new($"Tenant '{tenant.Slug}' is {tenant.Status.ToString().ToLowerInvariant()}; only active or hibernated tenants move."));
        }
        if (await db.Moves.AnyAsync(m => m.TenantId == tenant.Id && TenantMove.OpenPhases.Contains(m.Phase), ct))
        {
            return (null, new($"Tenant '{tenant.Slug}' is already moving."));
        }
        if (await db.Restores.AnyAsync(r => r.TenantId == tenant.Id && TenantRestore.OpenPhases.Contains(r.Phase), ct))
        {
            return (null, new($"Tenant '{tenant.Slug}' is being restored; move it once the restore is done."));
        }
        // The undo swaps back to the database the restore replaced, which stays on this server: a move now would strand it.
        if (await db.Restores.Where(r => r.TenantId == tenant.Id && r.Phase == RestorePhase.Swapped && r.UndoUntil > now)
                .Select(r => r.UndoUntil).FirstOrDefaultAsync(ct) is { } undoUntil)
        {
            return (null, new($"Tenant '{tenant.Slug}' has a restore inside its undo window until {undoUntil:O}; move it after that."));
        }
        // A switched move's closed source is kept for the grace: the tenant cannot go back there until it is dropped.
        var keptSources = await db.Moves.Where(m => m.TenantId == tenant.Id && m.Phase == MovePhase.Switched)
            .Select(m => m.FromServer).ToListAsync(ct);
        var loads = await ServerLoads.ReadAsync(db, ct);
        var here = loads.SingleOrDefault(s => s.Name == tenant.Server);
        var tablespace = StorageClasses.TablespaceFor(tier);
        string toServer;
        if (reason != DrainReason && here is not null && ServerPlacement.CanStay(tier, here))
        {
            if (tenant.Tablespace == tablespace || tenant.Tablespace is null && tier == tenant.Tier)
            {
                tenant.Tier = tier; // nothing to copy
                return (null, null);
            }
            toServer = tenant.Server;
        }
        else if (ServerPlacement.Choose(tier, loads.Where(s => !keptSources.Contains(s.Name)), except: tenant.Server) is { } other)
        {
            toServer = other;
        }
        else
        {
            return (null, new($"No open server takes {tier.ToString().ToLowerInvariant()} tenants besides '{tenant.Server}'.", NoServer: true));
        }
        var move = new TenantMove
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenant.Id,
            TenantSlug = tenant.Slug,
            FromServer = tenant.Server,
            FromTablespace = tenant.Tablespace,
            ToServer = toServer,
            ToTablespace = tablespace,
            DatabaseName = tenant.DatabaseName,
            Method = toServer == tenant.Server ? MoveMethod.Tablespace : MoveMethod.Replication,
            Phase = MovePhase.Pending,
            ToTier = tier == tenant.Tier ? null : tier,
            Reason = reason,
            RequestedBy = actor,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Moves.Add(move);
        db.Enqueue(tenant.Id, OperationKind.Move, trace, now);
        db.AuditEvents.Add(Audit.Event(tenant, "move-requested", actor, now,
            $"{reason}: {tenant.Server}/{tenant.Tablespace ?? "default"} → {toServer}/{tablespace}"));
        return (move, null);
    }
}
