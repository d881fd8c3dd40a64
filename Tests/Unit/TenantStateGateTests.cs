using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Routing;
using TenantAspire.TenantApi.Tenants;

namespace TenantAspire.Tests.Unit;

/// <summary>The state gate's decision for every tenant state, with the worker's holds replaced by a scripted seam.</summary>
public sealed class TenantStateGateTests
{
    private static TenantRoute Route(TenantStatus status, string? schema = null) =>
        new(Guid.NewGuid(), "acme", TenantTier.Standard, status, "postgres", "db", "role", "x", DateTimeOffset.UnixEpoch, schema ?? TenantMigrations.Latest);

    /// <summary>Answers every hold with <see cref="Outcome"/> (null: not servable in time) and records what was asked.</summary>
    private sealed class ScriptedHolds(Func<TenantRoute, TenantRoute?> outcome) : ITenantHolds
    {
        public List<(string Hold, TimeSpan For)> Asked { get; } = [];

        public Task<TenantRoute?> WakeAndWaitAsync(TenantRoute tenant, TimeSpan holdFor, CancellationToken ct) => Answer("wake", tenant, holdFor);

        public Task<TenantRoute?> MoveAndWaitAsync(TenantRoute tenant, TimeSpan holdFor, CancellationToken ct) => Answer("cutover", tenant, holdFor);

        public Task<TenantRoute?> UpgradeAndWaitAsync(TenantRoute tenant, string schema, TimeSpan holdFor, CancellationToken ct) =>
            Answer("upgrade", tenant, holdFor);

        private Task<TenantRoute?> Answer(string hold, TenantRoute tenant, TimeSpan holdFor)
        {
            Asked.Add((hold, holdFor));
            return Task.FromResult(outcome(tenant));
        }
    }

    private static ScriptedHolds Servable() => new(t => t with { Status = TenantStatus.Active, SchemaVersion = TenantMigrations.Latest });

    private static ScriptedHolds NeverServable() => new(_ => null);

    [Fact]
    public async Task An_active_tenant_at_the_schema_is_served_without_a_hold()
    {
        var holds = NeverServable();
        var route = Route(TenantStatus.Active);
        var decision = await new TenantStateGate(holds).AdmitAsync("acme", route, TenantMigrations.MinimumServable, CancellationToken.None);
        Assert.Same(route, decision.Route);
        Assert.Empty(holds.Asked);
    }

    [Theory]
    [InlineData(null, GateRefusal.NotFound)]
    [InlineData(TenantStatus.Deleting, GateRefusal.NotFound)]
    [InlineData(TenantStatus.Suspended, GateRefusal.Forbidden)]
    [InlineData(TenantStatus.Provisioning, GateRefusal.Conflict)]
    [InlineData(TenantStatus.Failed, GateRefusal.Conflict)]
    public async Task A_tenant_that_cannot_be_served_is_refused_without_a_hold(TenantStatus? status, GateRefusal refusal)
    {
        var holds = Servable();
        var decision = await new TenantStateGate(holds).AdmitAsync("acme", status is { } s ? Route(s) : null, TenantMigrations.MinimumServable, CancellationToken.None);
        Assert.Null(decision.Route);
        Assert.Equal(refusal, decision.Refusal);
        Assert.Contains("'acme'", decision.Detail);
        Assert.Null(decision.RetryAfter);
        Assert.Empty(holds.Asked);
    }

    [Theory]
    [InlineData(TenantStatus.Hibernated, "wake")]
    [InlineData(TenantStatus.Moving, "cutover")]
    [InlineData(TenantStatus.Restoring, "cutover")]
    public async Task A_held_tenant_that_becomes_servable_is_served_on_its_fresh_route(TenantStatus status, string hold)
    {
        var holds = Servable();
        var decision = await new TenantStateGate(holds).AdmitAsync("acme", Route(status), TenantMigrations.MinimumServable, CancellationToken.None);
        Assert.Equal(TenantStatus.Active, decision.Route?.Status);
        Assert.Equal([hold], holds.Asked.Select(a => a.Hold));
    }

    [Theory]
    [InlineData(TenantStatus.Hibernated, "wake", 2, 2, "waking up")]
    [InlineData(TenantStatus.Moving, "cutover", 3, 1, "moved to another server")]
    [InlineData(TenantStatus.Restoring, "cutover", 3, 1, "restored database")]
    public async Task A_held_tenant_not_servable_in_time_gets_503_with_its_holds_retry_after(
        TenantStatus status, string hold, int holdSeconds, int retryAfterSeconds, string detail)
    {
        var holds = NeverServable();
        var decision = await new TenantStateGate(holds).AdmitAsync("acme", Route(status), TenantMigrations.MinimumServable, CancellationToken.None);
        Assert.Equal(GateRefusal.Unavailable, decision.Refusal);
        Assert.Equal(TimeSpan.FromSeconds(retryAfterSeconds), decision.RetryAfter);
        Assert.Contains(detail, decision.Detail);
        Assert.Equal([(hold, TimeSpan.FromSeconds(holdSeconds))], holds.Asked);
    }

    [Fact]
    public async Task A_tenant_behind_the_endpoints_schema_is_held_for_its_upgrade_then_served()
    {
        var holds = Servable();
        var behind = Route(TenantStatus.Active, TenantMigrations.MinimumServable);
        var decision = await new TenantStateGate(holds).AdmitAsync("acme", behind, TenantMigrations.Latest, CancellationToken.None);
        Assert.Equal(TenantMigrations.Latest, decision.Route?.SchemaVersion);
        Assert.Equal([("upgrade", TenantStateGate.UpgradeHold)], holds.Asked);
    }

    [Fact]
    public async Task A_tenant_whose_upgrade_does_not_finish_in_time_gets_503_with_retry_after()
    {
        var decision = await new TenantStateGate(NeverServable()).AdmitAsync("acme", Route(TenantStatus.Active, TenantMigrations.MinimumServable),
            TenantMigrations.Latest, CancellationToken.None);
        Assert.Equal(GateRefusal.Unavailable, decision.Refusal);
        Assert.Equal(TenantStateGate.UpgradeRetryAfter, decision.RetryAfter);
    }

    [Fact]
    public async Task A_woken_tenant_still_behind_the_schema_is_then_upgraded()
    {
        // Wake answers with the route as it was (old schema); the gate then holds for the upgrade too.
        var holds = new ScriptedHolds(t => t with { Status = TenantStatus.Active });
        var decision = await new TenantStateGate(holds).AdmitAsync("acme", Route(TenantStatus.Hibernated, TenantMigrations.MinimumServable),
            TenantMigrations.Latest, CancellationToken.None);
        Assert.NotNull(decision.Route);
        Assert.Equal(["wake", "upgrade"], holds.Asked.Select(a => a.Hold));
    }
}
