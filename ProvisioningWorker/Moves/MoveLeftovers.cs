using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Moves;

/// <summary>
/// Everything a tenant's moves may have left on other servers than the one it lives on: a target copy of an unfinished or aborted
/// move (with its subscription), a switched move's closed source (with its slot). Deleting a tenant removes these too, so no
/// copy of its data outlives it. Names derive from the tenant's id, so nothing here can touch another tenant's database.
/// </summary>
public sealed class MoveLeftovers(CatalogDbContext db, MoveSql sql, ServerAdmin admin, TimeProvider clock)
{
    public async Task RemoveAsync(Tenant tenant, CancellationToken ct)
    {
        var all = await db.Moves.AsNoTracking().Where(m => m.TenantId == tenant.Id).ToListAsync(ct);
        // Subscriptions first (each drops its slot on the publisher), then any slot left behind: a database with either cannot be
        // dropped. Finished moves too: a subscription one left behind has an apply worker connected to the tenant's database as a
        // superuser, whom the delete's DROP DATABASE … WITH (FORCE), run by the provisioner, may not end (42501). Each place is
        // probed in pg_subscription first, so a tenant without any costs one query each. Subscriptions live on a move's target,
        // in the database it filled, which keeps its name even when a restore has since given the tenant a new one.
        foreach (var (server, database) in all.Select(m => (m.ToServer, m.DatabaseOf(tenant))).Append((tenant.Server, tenant.DatabaseName)).Distinct())
        {
            await sql.DropSubscriptionAsync(server, database, ct);
        }
        var moves = all.Where(m => m.Phase != MovePhase.Completed).ToList();
        if (moves.Count == 0)
        {
            return;
        }
        foreach (var move in moves)
        {
            await sql.DropSlotAsync(move.FromServer, MoveNames.Replication(move.Id), ct);
        }
        // Every copy on a server the tenant is not served from: an open move's target, a switched move's kept source.
        var copies = moves.SelectMany(m => new[] { (Server: m.FromServer, Database: m.DatabaseOf(tenant)), (Server: m.ToServer, Database: m.DatabaseOf(tenant)) })
            .Where(c => c.Server != tenant.Server).Distinct().ToList();
        foreach (var (server, database) in copies)
        {
            await admin.DropDatabaseAsync(server, database, ct);
        }
        foreach (var server in copies.Select(c => c.Server).Distinct(StringComparer.Ordinal))
        {
            await admin.DropRoleAsync(server, tenant.RoleName, ct);
        }
        var now = clock.GetUtcNow();
        await db.Moves.Where(m => m.TenantId == tenant.Id && TenantMove.OpenPhases.Contains(m.Phase))
            .ExecuteUpdateAsync(m => m
                .SetProperty(x => x.Phase, MovePhase.Failed)
                .SetProperty(x => x.Error, "the tenant was deleted")
                .SetProperty(x => x.UpdatedAt, now)
                .SetProperty(x => x.CompletedAt, now), ct);
        // A switched move's kept source was dropped above with the rest: the move is complete then, not waiting for its grace.
        await db.Moves.Where(m => m.TenantId == tenant.Id && m.Phase == MovePhase.Switched)
            .ExecuteUpdateAsync(m => m
                .SetProperty(x => x.Phase, MovePhase.Completed)
                .SetProperty(x => x.UpdatedAt, now)
                .SetProperty(x => x.CompletedAt, now), ct);
    }
}
