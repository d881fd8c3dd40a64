using Microsoft.EntityFrameworkCore;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tests.Unit;

/// <summary>The transition table over every (status, action) pair: what is allowed moves, what is not is refused and changes nothing.</summary>
public sealed class TenantLifecycleTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    // The whole intended table, written out independently of the implementation.
    private static readonly Dictionary<(TenantStatus, TenantAction), TenantStatus> Expected = new()
    {
        [(TenantStatus.Provisioning, TenantAction.Activate)] = TenantStatus.Active,
        [(TenantStatus.Provisioning, TenantAction.FailProvisioning)] = TenantStatus.Failed,
        [(TenantStatus.Active, TenantAction.Suspend)] = TenantStatus.Suspended,
        [(TenantStatus.Suspended, TenantAction.Resume)] = TenantStatus.Active,
        [(TenantStatus.Active, TenantAction.Hibernate)] = TenantStatus.Hibernated,
        [(TenantStatus.Hibernated, TenantAction.Wake)] = TenantStatus.Active,
        [(TenantStatus.Deleting, TenantAction.FailDelete)] = TenantStatus.Failed,
        [(TenantStatus.Active, TenantAction.HoldForCutover)] = TenantStatus.Moving,
        [(TenantStatus.Active, TenantAction.HoldForSwap)] = TenantStatus.Restoring,
        [(TenantStatus.Moving, TenantAction.Release)] = TenantStatus.Active,
        [(TenantStatus.Restoring, TenantAction.Release)] = TenantStatus.Active,
        [(TenantStatus.Provisioning, TenantAction.RequestDelete)] = TenantStatus.Deleting,
        [(TenantStatus.Active, TenantAction.RequestDelete)] = TenantStatus.Deleting,
        [(TenantStatus.Suspended, TenantAction.RequestDelete)] = TenantStatus.Deleting,
        [(TenantStatus.Hibernated, TenantAction.RequestDelete)] = TenantStatus.Deleting,
        [(TenantStatus.Failed, TenantAction.RequestDelete)] = TenantStatus.Deleting,
    };

    public static TheoryData<TenantStatus, TenantAction> EveryPair()
    {
        var data = new TheoryData<TenantStatus, TenantAction>();
        foreach (var status in Enum.GetValues<TenantStatus>())
        {
            foreach (var action in Enum.GetValues<TenantAction>())
            {
                data.Add(status, action);
            }
        }
        return data;
    }

    private static (CatalogDbContext Db, Tenant Tenant) NewTenant(TenantStatus status)
    {
        // A context that is never connected: Apply only tracks the audit row; nothing is saved here.
        var db = new CatalogDbContext(new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<CatalogDbContext>()
            .UseNpgsql("Host=unit-test").UseSnakeCaseNamingConvention().Options);
        var tenant = new Tenant
        {
            Id = Guid.NewGuid(), Slug = "acme", Name = "Acme", Status = status, Server = "postgres", DatabaseName = "tdb_x", RoleName = "tr_x",
            UpdatedAt = At.AddDays(-1),
        };
        return (db, tenant);
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Every_pair_is_allowed_exactly_as_the_table_says_and_is_audited(TenantStatus from, TenantAction action)
    {
        var (db, tenant) = NewTenant(from);
        using (db)
        {
            if (Expected.TryGetValue((from, action), out var to))
            {
                TenantLifecycle.Apply(db, tenant, action, "tester", At, "why");
                Assert.Equal(to, tenant.Status);
                Assert.Equal(At, tenant.UpdatedAt);
                var audit = Assert.Single(db.ChangeTracker.Entries<AuditEvent>()).Entity;
                Assert.Equal(TenantLifecycle.AuditAction(action), audit.Action);
                Assert.Equal(("tester", "why", At, tenant.Id), (audit.Actor, audit.Detail, audit.At, audit.TenantId));
                Assert.True(TenantLifecycle.Allows(from, action));
            }
            else
            {
                var refused = Assert.Throws<TenantTransitionRefusedException>(() => TenantLifecycle.Apply(db, tenant, action, "tester", At));
                Assert.Equal((from, action), (refused.From, refused.Action));
                Assert.Equal(from, tenant.Status);
                Assert.Equal(At.AddDays(-1), tenant.UpdatedAt);
                Assert.Empty(db.ChangeTracker.Entries<AuditEvent>());
                Assert.False(TenantLifecycle.Allows(from, action));
            }
        }
    }

    [Fact]
    public void The_table_has_no_edge_the_test_does_not_know() =>
        Assert.Equal(Expected.OrderBy(e => e.Key.ToString()), TenantLifecycle.Transitions.OrderBy(e => e.Key.ToString()));

    [Fact]
    public void A_cut_over_or_a_swap_refuses_a_delete_and_deleting_is_final_but_for_a_failed_delete()
    {
        Assert.False(TenantLifecycle.Allows(TenantStatus.Moving, TenantAction.RequestDelete));
        Assert.False(TenantLifecycle.Allows(TenantStatus.Restoring, TenantAction.RequestDelete));
        Assert.Equal([TenantAction.FailDelete], Enum.GetValues<TenantAction>().Where(a => TenantLifecycle.Allows(TenantStatus.Deleting, a)));
    }

    [Fact]
    public void Audit_names_are_the_ones_the_trail_has_always_used() =>
        Assert.Equal(["provisioned", "suspended", "resumed", "hibernated", "woken", "delete-requested"],
            new[] { TenantAction.Activate, TenantAction.Suspend, TenantAction.Resume, TenantAction.Hibernate, TenantAction.Wake, TenantAction.RequestDelete }
                .Select(TenantLifecycle.AuditAction));
}
