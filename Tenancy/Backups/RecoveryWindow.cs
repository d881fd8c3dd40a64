using Microsoft.EntityFrameworkCore;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tenancy.Backups;

/// <summary>
/// Where a tenant can be taken back to. Each moment is restored from the server that held the tenant then
/// (<see cref="PlacementHistory"/>), so a moment is restorable when that server's archive reaches back to it (its oldest base backup,
/// <see cref="DatabaseServer.RecoverableFrom"/>). <see cref="Earliest"/> is where the unbroken window that ends now begins: walking
/// back through the placements for as long as each one's server archived all of it. Up to <see cref="ArchivedUntil"/> (the current
/// server's) the WAL is already in the archive; a later moment is reached by archiving the current WAL first.
/// </summary>
public sealed record RecoveryWindow(
    string Server, DateTimeOffset? Earliest, DateTimeOffset? ArchivedUntil, string? ArchiveError, IReadOnlyList<RecoverablePlacement> History)
{
    /// <summary>The one rule for a point-in-time target: null when it can be restored, else why not (a 400 for the API).</summary>
    public string? Refuse(DateTimeOffset pointInTime, DateTimeOffset now)
    {
        if (pointInTime > now)
        {
            return $"pointInTime {pointInTime:O} is in the future (now is {now:O}).";
        }
        if (Earliest is null)
        {
            return $"Server '{Server}' has no point-in-time recovery yet: it does not archive its WAL, or its first base backup is not done.";
        }
        if (pointInTime < History[0].Placement.From)
        {
            return $"pointInTime {pointInTime:O} is before the tenant was created; the earliest restorable moment is {Earliest:O}.";
        }
        var held = SourceAt(pointInTime);
        return held.RecoverableFrom is { } from && from <= pointInTime
            ? null
            : $"pointInTime {pointInTime:O} is before the earliest restorable moment {Earliest:O} (the window is {Earliest:O} to now): " +
              $"server '{held.Placement.Server}', which held the tenant then, " +
              (held.RecoverableFrom is { } f ? $"archives from {f:O} only." : "has no WAL archive for it.");
    }

    /// <summary>The placement (server and database) a moment is restored from.</summary>
    public RecoverablePlacement SourceAt(DateTimeOffset pointInTime) =>
        History.FirstOrDefault(h => h.Placement.Holds(pointInTime)) ?? (pointInTime < History[0].Placement.From ? History[0] : History[^1]);

    /// <summary>The tenant's window over its placement history.</summary>
    public static async Task<RecoveryWindow> ForAsync(CatalogDbContext db, Tenant tenant, CancellationToken ct)
    {
        var history = await PlacementHistory.ForAsync(db, tenant, ct);
        var names = history.Select(p => p.Server).Distinct().ToList();
        var servers = await db.Servers.AsNoTracking().Where(s => names.Contains(s.Name)).ToDictionaryAsync(s => s.Name, ct);
        return Of(tenant, history, servers);
    }

    /// <summary>Pure: the window from the placements and their servers' archive state.</summary>
    public static RecoveryWindow Of(Tenant tenant, IReadOnlyList<Placement> history, IReadOnlyDictionary<string, DatabaseServer> servers)
    {
        var recoverable = history
            .Select(p => new RecoverablePlacement(p, servers.TryGetValue(p.Server, out var s) ? s.RecoverableFrom : null))
            .ToList();
        DateTimeOffset? earliest = null;
        for (var i = recoverable.Count - 1; i >= 0; i--)
        {
            var (placement, from) = (recoverable[i].Placement, recoverable[i].RecoverableFrom);
            if (from is null || (placement.To is { } to && from >= to))
            {
                break; // nothing of this placement is archived: the window begins where the next one did
            }
            earliest = from > placement.From ? from : placement.From;
            if (from > placement.From)
            {
                break;
            }
        }
        var current = servers.GetValueOrDefault(tenant.Server);
        return new(tenant.Server, earliest, current?.ArchivedUntil, current?.ArchiveError, recoverable);
    }
}

/// <summary>A placement and how far back its server's archive reaches (null: no archive, or no base backup yet).</summary>
public sealed record RecoverablePlacement(Placement Placement, DateTimeOffset? RecoverableFrom);
