using Microsoft.EntityFrameworkCore;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tenancy.Backups;

/// <summary>
/// Where a tenant can be taken back to: from <see cref="Earliest"/> (its server's oldest base backup, its creation, or the moment its
/// current database became its own — a move's cut-over or a restore's swap — whichever is newest) to now. Up to
/// <see cref="ArchivedUntil"/> the WAL is already in the archive; a later moment is reached by archiving the current WAL first.
/// Null <see cref="Earliest"/>: the server does not archive, or has no base backup yet.
/// </summary>
public sealed record RecoveryWindow(string Server, DateTimeOffset? Earliest, DateTimeOffset? ArchivedUntil, string? ArchiveError)
{
    /// <summary>The one rule for a point-in-time target: null when it can be restored, else why not (a 400 for the API).</summary>
    public string? Refuse(DateTimeOffset pointInTime, DateTimeOffset now)
    {
        if (pointInTime > now)
        {
            return $"pointInTime {pointInTime:O} is in the future (now is {now:O}).";
        }
        if (Earliest is not { } earliest)
        {
            return $"Server '{Server}' has no point-in-time recovery yet: it does not archive its WAL, or its first base backup is not done.";
        }
        return pointInTime < earliest
            ? $"pointInTime {pointInTime:O} is before the earliest restorable moment {earliest:O} (the window is {earliest:O} to now)."
            : null;
    }

    /// <summary>The tenant's window on its current server and database.</summary>
    public static async Task<RecoveryWindow> ForAsync(CatalogDbContext db, Tenant tenant, CancellationToken ct)
    {
        var server = await db.Servers.AsNoTracking().SingleOrDefaultAsync(s => s.Name == tenant.Server, ct);
        // The database the tenant is served from now holds its history since it became the tenant's: at its latest cut-over, or
        // at the swap of the in-place restore that made it. An undo brings back the database that was there before, whose history
        // runs on (moments between that restore's swap and its undo come back as that database was then: without the writes made
        // to the undone one).
        var moved = await db.Moves.AsNoTracking().Where(m => m.TenantId == tenant.Id && m.SwitchedAt != null)
            .MaxAsync(m => m.SwitchedAt, ct);
        var swapped = await db.Restores.AsNoTracking()
            .Where(r => r.TenantId == tenant.Id && r.NewDatabase == tenant.DatabaseName && r.SwappedAt != null && r.Phase != RestorePhase.Undone)
            .MaxAsync(r => r.SwappedAt, ct);
        return Of(tenant, server, moved, swapped);
    }

    /// <summary>Pure: the window from the server's archive state and the tenant's own history.</summary>
    public static RecoveryWindow Of(Tenant tenant, DatabaseServer? server, params DateTimeOffset?[] databaseChanges)
    {
        DateTimeOffset? earliest = null;
        if (server?.RecoverableFrom is { } from)
        {
            earliest = new[] { from, tenant.CreatedAt }.Concat(databaseChanges.OfType<DateTimeOffset>()).Max();
        }
        return new(tenant.Server, earliest, server?.ArchivedUntil, server?.ArchiveError);
    }
}
