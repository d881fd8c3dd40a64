using System.Collections.Concurrent;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// Holds a request while the provisioning worker makes its tenant servable, instead of failing it: a hibernated tenant is woken
/// (<see cref="WakeAndWaitAsync"/>), a tenant behind the schema an endpoint needs is migrated (<see cref="UpgradeAndWaitAsync"/>).
/// One queued operation per tenant (the catalog collapses duplicates), at most one catalog write per tenant and kind every
/// <see cref="Throttle"/> from this replica, and all requests held for one tenant share one watch of the catalog: one read per
/// tenant per poll, not per request. Neon's proxy holds connections the same way while compute starts.
/// </summary>
public sealed class TenantWaker(
    IServiceScopeFactory scopes, TenantRouteCache routes, TenantConnectionRegistry registry, TimeProvider clock, ILogger<TenantWaker> logger) : ITenantHolds
{
    private static readonly TimeSpan Throttle = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly ConcurrentDictionary<(Guid, OperationKind), DateTimeOffset> _asked = new();
    private readonly ConcurrentDictionary<(Guid, OperationKind?, string?), Lazy<Task<TenantRoute?>>> _watches = new();

    /// <summary>What a hold waits for, and while which state it keeps waiting.</summary>
    private sealed record Hold(OperationKind? Kind, TimeSpan For, string? Schema, Func<Tenant, bool> IsDone, Func<Tenant, bool> IsWaiting);

    /// <summary>
    /// For a request that found its tenant in a move's cut-over or a restore's swap: nothing to ask for (the worker is at it), only to wait until the
    /// catalog says active again, on the target (switched) or the source (aborted).
    /// </summary>
    public async Task<TenantRoute?> MoveAndWaitAsync(TenantRoute tenant, TimeSpan holdFor, CancellationToken ct)
    {
        var route = await HoldAsync(tenant, new(null, holdFor, null,
            IsDone: t => t.Status == TenantStatus.Active,
            IsWaiting: t => t.Status is TenantStatus.Moving or TenantStatus.Restoring), ct);
        if (route is not null && (route.Server != tenant.Server || route.DatabaseName != tenant.DatabaseName))
        {
            await registry.EvictAsync(tenant.Id); // its connections to the source (or the replaced database) were ended
        }
        return route;
    }

    /// <summary>
    /// For a request that found its tenant hibernated: asks for a wake and holds the request until the catalog says the tenant is
    /// active again. Returns its fresh route, or null if it is not awake within <paramref name="holdFor"/> (or it left hibernation
    /// for another state: suspended, deleting). A cached route that was merely stale is noticed at the first look.
    /// </summary>
    public Task<TenantRoute?> WakeAndWaitAsync(TenantRoute tenant, TimeSpan holdFor, CancellationToken ct) => HoldAsync(tenant, new(OperationKind.Wake, holdFor, null,
        IsDone: t => t.Status == TenantStatus.Active,
        IsWaiting: t => t.Status == TenantStatus.Hibernated), ct);

    /// <summary>
    /// For a request to an endpoint that needs <paramref name="schema"/> on a tenant still behind it: asks for the tenant's upgrade
    /// and holds the request until the catalog says the tenant is there, or null after <paramref name="holdFor"/>.
    /// </summary>
    public Task<TenantRoute?> UpgradeAndWaitAsync(TenantRoute tenant, string schema, TimeSpan holdFor, CancellationToken ct) => HoldAsync(tenant,
        new(OperationKind.Upgrade, holdFor, schema,
            IsDone: t => t.Status == TenantStatus.Active && !TenantMigrations.IsBehind(t.SchemaVersion, schema),
            IsWaiting: t => t.Status == TenantStatus.Active), ct);

    private async Task<TenantRoute?> HoldAsync(TenantRoute tenant, Hold hold, CancellationToken ct)
    {
        var key = (tenant.Id, hold.Kind, hold.Schema);
        var watch = _watches.GetOrAdd(key, _ => new(() => WatchAsync(tenant, hold)));
        try
        {
            return await watch.Value.WaitAsync(ct);
        }
        finally
        {
            if (watch.Value.IsCompleted)
            {
                _watches.TryRemove(new(key, watch));
            }
        }
    }

    private async Task<TenantRoute?> WatchAsync(TenantRoute tenant, Hold hold)
    {
        var deadline = clock.GetUtcNow() + hold.For;
        for (var first = true; ; first = false)
        {
            if (!first)
            {
                await Task.Delay(PollInterval, clock);
            }
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            var row = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == tenant.Id);
            if (row is not null && hold.IsDone(row))
            {
                if (first)
                {
                    // Already there: this replica's cached route was stale (the backplane's message is late or was lost).
                    await routes.InvalidateAsync(row.Slug);
                }
                return TenantRoute.From(row); // the worker publishes it to the cache too; this request need not wait for that
            }
            if (row is null || !hold.IsWaiting(row) || clock.GetUtcNow() >= deadline)
            {
                return null;
            }
            if (first && hold.Kind is { } kind)
            {
                await RequestAsync(tenant, kind, CancellationToken.None);
                if (hold.Kind == OperationKind.Wake)
                {
                    await registry.EvictAsync(tenant.Id); // hibernation ended its sessions: the pooled ones are dead
                }
            }
        }
    }

    private async Task RequestAsync(TenantRoute tenant, OperationKind kind, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_asked.TryGetValue((tenant.Id, kind), out var at) && now - at < Throttle)
        {
            return;
        }
        if (_asked.Count > 10_000)
        {
            _asked.Clear(); // only a throttle: forgetting costs one extra (collapsed) write
        }
        _asked[(tenant.Id, kind)] = now;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            if (await db.EnqueueOnceAsync(tenant.Id, kind, OperationTrace.Capture(), now, ct))
            {
                logger.LogInformation("Asked the worker to {Kind} tenant {Tenant}", kind.ToString().ToLowerInvariant(), tenant.Slug);
            }
        }
        catch (Exception e) when (e is NpgsqlException or DbUpdateException)
        {
            // The caller still gets 503 + Retry-After; its retry asks again.
            _asked.TryRemove((tenant.Id, kind), out _);
            logger.LogWarning(e, "Could not queue a {Kind} for {Tenant}", kind, tenant.Slug);
        }
    }
}
