using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>What the state gate decided: serve the request on <see cref="Route"/>, or refuse it with a problem.</summary>
public sealed record GateDecision(TenantRoute? Route, GateRefusal Refusal, string? Detail, TimeSpan? RetryAfter)
{
    public static GateDecision Serve(TenantRoute route) => new(route, GateRefusal.None, null, null);

    public static GateDecision Refuse(GateRefusal refusal, string detail, TimeSpan? retryAfter = null) => new(null, refusal, detail, retryAfter);
}

/// <summary>The kinds of refusal, each one HTTP status (the filter maps them).</summary>
public enum GateRefusal { None, NotFound, Forbidden, Conflict, Unavailable }

/// <summary>
/// Whether a looked-up tenant can be served now, by its state: active is served; hibernated, in a cut-over or swap, or behind
/// the schema the endpoint needs is held while the worker makes it servable (<see cref="ITenantHolds"/>), then served or
/// answered 503 with a Retry-After; suspended, provisioning, failed and unknown tenants are refused. The one owner of how long each
/// hold lasts and which Retry-After follows it.
/// </summary>
public sealed class TenantStateGate(ITenantHolds holds)
{
    /// <summary>A wake is one ALTER DATABASE and a catalog write.</summary>
    public static readonly TimeSpan WakeHold = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan WakeRetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>A migration may first wait out its lock timeout (2 s).</summary>
    public static readonly TimeSpan UpgradeHold = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan UpgradeRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A move's cut-over pauses writes for at most the worker's Moves:MaxPause (2 s by default); with the route's propagation and a
    /// poll it has switched or aborted within 3 s. A restore's swap is shorter.
    /// </summary>
    public static readonly TimeSpan CutoverHold = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan CutoverRetryAfter = TimeSpan.FromSeconds(1);

    public async Task<GateDecision> AdmitAsync(string slug, TenantRoute? route, string requiredSchema, CancellationToken ct)
    {
        switch (route?.Status)
        {
            case null or TenantStatus.Deleting:
                return GateDecision.Refuse(GateRefusal.NotFound, $"No tenant '{slug}'.");
            case TenantStatus.Suspended:
                return GateDecision.Refuse(GateRefusal.Forbidden, $"Tenant '{slug}' is suspended.");
            case TenantStatus.Provisioning:
                return GateDecision.Refuse(GateRefusal.Conflict, $"Tenant '{slug}' is still being provisioned.");
            case TenantStatus.Failed:
                return GateDecision.Refuse(GateRefusal.Conflict, $"Tenant '{slug}' has failed: its provisioning or its deletion did not complete (GET /api/tenants/{slug} says why).");
            case TenantStatus.Hibernated:
                route = await holds.WakeAndWaitAsync(route, WakeHold, ct);
                if (route is null)
                {
                    return GateDecision.Refuse(GateRefusal.Unavailable, $"Tenant '{slug}' is hibernated and waking up; retry shortly.", WakeRetryAfter);
                }
                break;
            case TenantStatus.Moving or TenantStatus.Restoring:
                var held = route;
                route = await holds.MoveAndWaitAsync(held, CutoverHold, ct);
                if (route is null)
                {
                    return GateDecision.Refuse(GateRefusal.Unavailable, held.Status == TenantStatus.Moving
                        ? $"Tenant '{slug}' is being moved to another server; retry shortly."
                        : $"Tenant '{slug}' is switching to a restored database; retry shortly.", CutoverRetryAfter);
                }
                break;
        }

        // Expand/contract: every endpoint serves tenants at MinimumServable; one that needs a newer schema holds the request while
        // the worker migrates this tenant, rather than letting it fail on a missing table.
        if (TenantMigrations.IsBehind(route.SchemaVersion, requiredSchema))
        {
            route = await holds.UpgradeAndWaitAsync(route, requiredSchema, UpgradeHold, ct);
            if (route is null)
            {
                return GateDecision.Refuse(GateRefusal.Unavailable, $"Tenant '{slug}' is being migrated to a newer schema; retry shortly.", UpgradeRetryAfter);
            }
        }
        return GateDecision.Serve(route);
    }
}
