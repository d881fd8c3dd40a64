using TenantAspire.Tenancy.Routing;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// The holds <see cref="TenantStateGate"/> can put a request in while the worker makes its tenant servable. Each returns the
/// tenant's fresh route once it is servable, or null when it is not within <c>holdFor</c> (or it left the awaited state).
/// <see cref="TenantWaker"/> is the implementation; the gate takes this seam so its decisions are unit-tested without a worker.
/// </summary>
public interface ITenantHolds
{
    /// <summary>Asks for a wake of a hibernated tenant and waits for it to be active.</summary>
    Task<TenantRoute?> WakeAndWaitAsync(TenantRoute tenant, TimeSpan holdFor, CancellationToken ct);

    /// <summary>Waits out a move's cut-over or a restore's swap (nothing to ask: the worker is at it).</summary>
    Task<TenantRoute?> MoveAndWaitAsync(TenantRoute tenant, TimeSpan holdFor, CancellationToken ct);

    /// <summary>Asks for the tenant's upgrade and waits until it has <paramref name="schema"/>.</summary>
    Task<TenantRoute?> UpgradeAndWaitAsync(TenantRoute tenant, string schema, TimeSpan holdFor, CancellationToken ct);
}
