using Microsoft.EntityFrameworkCore;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tenancy.Backups;

/// <summary>Where a tenant's data lived from <see cref="From"/> until <see cref="To"/> (null: still there).</summary>
public sealed record Placement(string Server, string Database, DateTimeOffset From, DateTimeOffset? To)
{
    public bool Holds(DateTimeOffset moment) => From <= moment && (To is null || moment < To);
}

/// <summary>A moment the tenant's data changed place: a move's switch, or the swap of an in-place restore.</summary>
public sealed record PlacementChange(DateTimeOffset At, string FromServer, string FromDatabase, string ToServer, string ToDatabase);

/// <summary>
/// Each tenant's placement history — which server and database held its data when — read from the catalog's own durable records
/// (moves and in-place restores are never deleted), so there is no second copy to keep in step. A moment is restored from the
/// server that held the tenant then. A moment inside a move's cut-over belongs to the source (it took no writes while requests
/// were held, so that is the tenant as it was when the cut-over began). An undone restore is left out: the database it replaced
/// came back and its history runs on.
/// </summary>
public static class PlacementHistory
{
    public static async Task<IReadOnlyList<Placement>> ForAsync(CatalogDbContext db, Tenant tenant, CancellationToken ct)
    {
        var moves = await db.Moves.AsNoTracking()
            .Where(m => m.TenantId == tenant.Id && m.SwitchedAt != null && (m.Phase == MovePhase.Switched || m.Phase == MovePhase.Completed))
            .ToListAsync(ct);
        var swaps = await db.Restores.AsNoTracking()
            .Where(r => r.TenantId == tenant.Id && r.Mode == RestoreMode.InPlace && r.SwappedAt != null && r.PreviousDatabase != null
                        && r.Phase != RestorePhase.Undone)
            .ToListAsync(ct);
        return Of(tenant, moves.Select(m => new PlacementChange(m.SwitchedAt!.Value, m.FromServer, m.DatabaseOf(tenant), m.ToServer, m.DatabaseOf(tenant)))
            .Concat(swaps.Select(r => new PlacementChange(r.SwappedAt!.Value, r.Server, r.PreviousDatabase!, r.Server, r.NewDatabase))));
    }

    /// <summary>Pure: the placements, oldest first, from the tenant's creation to now; the last one is where it is now.</summary>
    public static IReadOnlyList<Placement> Of(Tenant tenant, IEnumerable<PlacementChange> changes)
    {
        var ordered = changes.OrderBy(c => c.At).ToList();
        var history = new List<Placement>(ordered.Count + 1);
        var from = tenant.CreatedAt;
        foreach (var change in ordered)
        {
            history.Add(new(change.FromServer, change.FromDatabase, from, change.At));
            from = change.At;
        }
        history.Add(new(tenant.Server, tenant.DatabaseName, from, null));
        return history;
    }
}
