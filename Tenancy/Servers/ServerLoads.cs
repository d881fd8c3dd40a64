using Microsoft.EntityFrameworkCore;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tenancy.Servers;

/// <summary>Reads what placement decides on: every server's row and how many tenants (not deleted) it holds, in one query each.</summary>
public static class ServerLoads
{
    public static async Task<List<ServerLoad>> ReadAsync(CatalogDbContext db, CancellationToken ct)
    {
        var servers = await db.Servers.AsNoTracking().ToListAsync(ct);
        var counts = await db.Tenants.AsNoTracking()
            .Where(t => t.Status != TenantStatus.Deleting && t.Status != TenantStatus.Failed)
            .GroupBy(t => t.Server).Select(g => new { Server = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Server, g => g.Count, StringComparer.Ordinal, ct);
        return [.. servers.Select(s => new ServerLoad(s.Name, s.TierValues(), s.State, s.Capacity,
            counts.GetValueOrDefault(s.Name), s.Bytes))];
    }
}
