using TenantAspire.ProvisioningWorker.Rollouts;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.Tests.Unit;

public sealed class RolloutPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);

    private static List<RolloutCandidate> Fleet(int n, params int[] canaries) =>
        [.. Enumerable.Range(0, n).Select(i => new RolloutCandidate(Guid.CreateVersion7(), canaries.Contains(i), T0.AddMinutes(i)))];

    [Fact]
    public void Flagged_canaries_go_first_and_the_rest_fill_cumulative_rings()
    {
        var fleet = Fleet(1002, 5, 700);
        var rings = RingPlanner.Plan(fleet, [1, 10, 50, 100], canaryCount: 2);

        Assert.Equal(1002, rings.Count);
        Assert.Equal(new[] { fleet[5].Id, fleet[700].Id }.Order(), rings.Where(r => r.Value == 0).Select(r => r.Key).Order());
        var sizes = rings.GroupBy(r => r.Value).OrderBy(g => g.Key).Select(g => g.Count()).ToArray();
        Assert.Equal([2, 10, 90, 400, 500], sizes); // 1 %, 10 %, 50 %, 100 % of the 1,000 others, cumulatively
    }

    [Fact]
    public void Without_flagged_canaries_the_oldest_tenants_are_the_canaries()
    {
        var fleet = Fleet(20);
        var rings = RingPlanner.Plan(fleet, [50, 100], canaryCount: 3);

        Assert.Equal(fleet.Take(3).Select(t => t.Id).Order(), rings.Where(r => r.Value == 0).Select(r => r.Key).Order());
        Assert.Equal(9, rings.Count(r => r.Value == 1)); // ceil(17 × 50 %)
        Assert.Equal(8, rings.Count(r => r.Value == 2));
    }

    [Fact]
    public void Small_fleets_leave_no_tenant_out_and_rings_may_be_empty()
    {
        var fleet = Fleet(3);
        var rings = RingPlanner.Plan(fleet, [1, 10, 50, 100], canaryCount: 2);

        Assert.Equal(3, rings.Count);
        Assert.Equal(2, rings.Count(r => r.Value == 0));
        Assert.Equal(1, rings.Count(r => r.Value == 1)); // ceil(1 × 1 %) = 1: the ring after the canaries is never empty
        Assert.Empty(RingPlanner.Plan([], [100], 2));
    }

    [Fact]
    public void The_plan_is_the_same_for_the_same_fleet()
    {
        var fleet = Fleet(200);
        Assert.Equal(RingPlanner.Plan(fleet, [1, 10, 50, 100], 2), RingPlanner.Plan([.. Enumerable.Reverse(fleet)], [1, 10, 50, 100], 2));
    }

    private static Dictionary<RolloutTenantState, int> Counts(int pending = 0, int running = 0, int ok = 0, int failed = 0, int deferred = 0) => new()
    {
        [RolloutTenantState.Pending] = pending, [RolloutTenantState.Running] = running, [RolloutTenantState.Succeeded] = ok,
        [RolloutTenantState.Failed] = failed, [RolloutTenantState.Deferred] = deferred,
    };

    [Fact]
    public void A_ring_passes_when_nothing_is_open_and_failures_are_within_budget()
    {
        Assert.Equal(RingVerdict.Working, RingGate.Judge(Counts(pending: 1, ok: 9), 0.02));
        Assert.Equal(RingVerdict.Working, RingGate.Judge(Counts(running: 1, ok: 9), 0.02));
        Assert.Equal(RingVerdict.Passed, RingGate.Judge(Counts(ok: 8, deferred: 2), 0.0));
        Assert.Equal(RingVerdict.Passed, RingGate.Judge(Counts(ok: 98, failed: 2), 0.02));
    }

    [Fact]
    public void A_ring_halts_as_soon_as_its_failures_pass_the_budget()
    {
        Assert.Equal(RingVerdict.OverBudget, RingGate.Judge(Counts(ok: 1, failed: 1), 0.02)); // a canary of 2 tolerates none
        Assert.Equal(RingVerdict.OverBudget, RingGate.Judge(Counts(pending: 90, ok: 7, failed: 3), 0.02)); // before the rest run
        Assert.Equal(0, RingGate.AllowedFailures(49, 0.02));
        Assert.Equal(1, RingGate.AllowedFailures(50, 0.02));
        Assert.Equal(10, RingGate.AllowedFailures(10, 1.0));
    }

    [Theory]
    [InlineData(new[] { 1, 10, 50, 100 }, null)]
    [InlineData(new[] { 100 }, null)]
    [InlineData(new int[0], "at least one")]
    [InlineData(new[] { 10, 5, 100 }, "strictly ascending")]
    [InlineData(new[] { 10, 50 }, "last ring must be 100")]
    [InlineData(new[] { 0, 100 }, "between 1 and 100")]
    public void Ring_plans_are_validated(int[] rings, string? error)
    {
        var result = RolloutRules.ValidateRings(rings);
        if (error is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.Contains(error, result);
        }
    }

    [Fact]
    public void The_code_names_its_newest_migration_and_compares_versions_in_apply_order()
    {
        var schema = new TenantSchema();
        Assert.Equal(TenantMigrations.Latest, schema.LatestMigration);
        Assert.Equal([TenantMigrations.Initial, TenantMigrations.Tasks, TenantMigrations.CustomFields], schema.Migrations);
        Assert.False(TenantMigrations.HasCustomFields(TenantMigrations.Tasks));
        Assert.True(TenantMigrations.HasCustomFields(TenantMigrations.CustomFields));
        Assert.True(TenantMigrations.IsBehind(null, TenantMigrations.Initial));
        Assert.True(TenantMigrations.IsBehind(TenantMigrations.Initial, TenantMigrations.Tasks));
        Assert.False(TenantMigrations.IsBehind(TenantMigrations.Tasks, TenantMigrations.Tasks));
        Assert.Equal([TenantMigrations.Initial], schema.Before(TenantMigrations.Tasks));
        Assert.Equal([TenantMigrations.Initial, TenantMigrations.Tasks], schema.UpTo(TenantMigrations.Tasks));
        Assert.False(TenantMigrations.IsBehind(TenantMigrations.Latest, TenantMigrations.MinimumServable));
    }

    [Fact]
    public void Migration_scripts_are_forward_only_and_carry_their_history_rows()
    {
        var script = new TenantSchema().Script(TenantMigrations.Initial, TenantMigrations.Tasks);
        Assert.Contains("CREATE TABLE tasks", script);
        Assert.Contains(TenantMigrations.Tasks, script);
        Assert.DoesNotContain("START TRANSACTION", script);
        Assert.DoesNotContain("COMMIT", script);
        Assert.DoesNotContain("CREATE TABLE users", script);
    }

    [Fact]
    public void Derived_parallelism_is_a_twentieth_of_the_servers_connections_within_bounds()
    {
        Assert.Equal(10, RolloutParallelism.Derive(200));
        Assert.Equal(5, RolloutParallelism.Derive(100));
        Assert.Equal(2, RolloutParallelism.Derive(20));
        Assert.Equal(16, RolloutParallelism.Derive(5000));
    }
}
