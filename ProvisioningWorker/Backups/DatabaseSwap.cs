using System.Diagnostics;
using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>
/// Points a tenant at another database of its server, with its requests held rather than failed: the route says <c>restoring</c>
/// (every API replica holds the tenant's new requests, as in a move's cut-over), statements in flight get a moment to finish, the
/// old database is closed (its sessions end), the new one opened, and the catalog switches in one write with whatever the caller
/// records beside it. Held requests then resume on the new database (the API replaces its data source when the database changes).
/// </summary>
public sealed class DatabaseSwap(
    CatalogDbContext db, OperationLease lease, ServerAdmin admin, MoveSql sql, TenantRouteCache routes, IOptions<MoveOptions> moves,
    TimeProvider clock)
{
    /// <summary>How long in-flight statements on the old database may finish before their sessions are ended.</summary>
    private static readonly TimeSpan InFlightGrace = TimeSpan.FromSeconds(1);

    /// <param name="recordBeside">Called with the time and the hold so far, to change rows saved in the switch's own write.</param>
    /// <returns>How long the tenant's requests were held (up to the switch).</returns>
    public async Task<TimeSpan> SwapAsync(Tenant tenant, string to, string? schemaVersion, Action<DateTimeOffset, TimeSpan> recordBeside,
        CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var from = tenant.DatabaseName;
        if (tenant.Status != TenantStatus.Restoring)
        {
            TenantLifecycle.Apply(db, tenant, TenantAction.HoldForSwap, Audit.WorkerActor, clock.GetUtcNow());
            await lease.SaveChangesAsync(ct);
            await routes.PublishAsync(tenant, ct);
        }
        await Task.Delay(moves.Value.PropagationDelay, clock, ct);
        await sql.WaitUntilIdleAsync(tenant.Server, from, tenant.RoleName, clock.GetUtcNow() + InFlightGrace, clock, ct);
        await admin.CloseDatabaseAsync(tenant.Server, from, ct);
        await admin.OpenDatabaseAsync(tenant.Server, to, ct);
        var now = clock.GetUtcNow();
        tenant.DatabaseName = to;
        tenant.SchemaVersion = schemaVersion;
        TenantLifecycle.Apply(db, tenant, TenantAction.Release, Audit.WorkerActor, now, $"on {to}");
        var held = Stopwatch.GetElapsedTime(started);
        recordBeside(now, held);
        await lease.SaveChangesAsync(ct);
        await routes.PublishAsync(tenant, ct);
        return held;
    }

    /// <summary>A swap that died while holding requests (status still restoring): the tenant is served from its database again.</summary>
    public async Task ReleaseAsync(Tenant tenant, CancellationToken ct)
    {
        if (tenant.Status != TenantStatus.Restoring)
        {
            return;
        }
        await admin.OpenDatabaseAsync(tenant.Server, tenant.DatabaseName, ct);
        TenantLifecycle.Apply(db, tenant, TenantAction.Release, Audit.WorkerActor, clock.GetUtcNow(), "after an interrupted swap");
        await lease.SaveChangesAsync(ct);
        await routes.PublishAsync(tenant, ct);
    }
}
