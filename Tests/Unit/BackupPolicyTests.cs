using Microsoft.Extensions.Time.Testing;
using TenantAspire.ProvisioningWorker.Backups;

namespace TenantAspire.Tests.Unit;

/// <summary>The scheduler's decisions with a fake clock: due, changed-only, retention, and the exposure SREs watch.</summary>
public sealed class BackupPolicyTests
{
    private static readonly BackupTierPolicy Daily = new() { Interval = TimeSpan.FromHours(24), Keep = 3, MaxAge = TimeSpan.FromDays(7) };
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private static readonly DateTimeOffset Reset = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private LastBackup Last(TimeSpan ago, long counter = 100, string database = "tdb_a", string? schema = "v2") =>
        new(_clock.GetUtcNow() - ago, "postgres", database, schema, counter, Reset);

    private BackupDecision Decide(LastBackup? last, long counter = 100, string database = "tdb_a", string? schema = "v2", bool signal = true) =>
        BackupPolicy.Decide(Daily, last, "postgres", database, schema, signal ? new WriteSignal(counter, Reset) : null, _clock.GetUtcNow());

    [Fact]
    public void A_tenant_without_a_backup_gets_its_first_at_once() => Assert.Equal(BackupDecision.First, Decide(null));

    [Fact]
    public void No_write_since_the_newest_backup_means_no_new_dump_however_old_it_is()
    {
        Assert.Equal(BackupDecision.Unchanged, Decide(Last(TimeSpan.FromHours(1))));
        Assert.Equal(BackupDecision.Unchanged, Decide(Last(TimeSpan.FromDays(30))));
    }

    [Fact]
    public void A_write_makes_the_tenant_due_once_its_tier_interval_has_passed()
    {
        var last = Last(TimeSpan.FromHours(23));
        Assert.Equal(BackupDecision.NotDue, Decide(last, counter: 101));
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(BackupDecision.Changed, Decide(last, counter: 101));
    }

    [Fact]
    public void Anything_that_could_hide_a_write_counts_as_changed()
    {
        var last = Last(TimeSpan.FromDays(2));
        Assert.Equal(BackupDecision.Changed, Decide(last, signal: false)); // statistics unreadable
        Assert.Equal(BackupDecision.Changed, Decide(last, database: "tdb_r1")); // a restore swapped the database
        Assert.Equal(BackupDecision.Changed, Decide(last, schema: "v3")); // migrated since
        Assert.Equal(BackupDecision.Changed, BackupPolicy.Decide(Daily, last, "postgres", "tdb_a", "v2",
            new WriteSignal(100, Reset.AddDays(1)), _clock.GetUtcNow())); // statistics reset: the same count means nothing
        Assert.Equal(BackupDecision.Changed, BackupPolicy.Decide(Daily, last, "postgres-premium", "tdb_a", "v2",
            new WriteSignal(100, Reset), _clock.GetUtcNow())); // moved to another server
    }

    [Fact]
    public void Retention_keeps_the_newest_and_drops_beyond_the_count_or_the_age()
    {
        var now = _clock.GetUtcNow();
        var ids = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid()).ToArray();
        (Guid, DateTimeOffset)[] newestFirst = [.. ids.Select((id, i) => (id, now - TimeSpan.FromDays(i)))];
        Assert.Equal(ids[3..], BackupPolicy.Expired(Daily, newestFirst, now)); // keep 3

        (Guid, DateTimeOffset)[] old = [(ids[0], now - TimeSpan.FromDays(10)), (ids[1], now - TimeSpan.FromDays(11))];
        Assert.Equal([ids[1]], BackupPolicy.Expired(Daily, old, now)); // past the age, but the newest is always kept
        Assert.Empty(BackupPolicy.Expired(Daily, [], now));
    }

    [Fact]
    public void Exposure_is_zero_for_unchanged_tenants_and_the_backups_age_otherwise()
    {
        var now = _clock.GetUtcNow();
        var created = now - TimeSpan.FromDays(3);
        var last = Last(TimeSpan.FromHours(5));
        Assert.Equal(TimeSpan.Zero, BackupPolicy.ExposedFor(BackupDecision.Unchanged, last, created, now));
        Assert.Equal(TimeSpan.FromHours(5), BackupPolicy.ExposedFor(BackupDecision.NotDue, last, created, now));
        Assert.Equal(TimeSpan.FromDays(3), BackupPolicy.ExposedFor(BackupDecision.First, null, created, now));
    }

    [Fact]
    public void Catalog_churn_alone_is_confirmed_with_the_tenants_own_tables_and_is_no_change()
    {
        var last = Last(TimeSpan.FromDays(2)) with { UserWrites = 7 };
        var churned = new WriteSignal(130, Reset); // an ANALYZE rewrote pg_statistic rows: the database counter moved
        Assert.True(BackupPolicy.NeedsUserWrites(last, "postgres", "tdb_a", "v2", churned));
        Assert.Equal(BackupDecision.Unchanged, BackupPolicy.Decide(Daily, last, "postgres", "tdb_a", "v2", churned with { UserWrites = 7 }, _clock.GetUtcNow()));
        Assert.Equal(BackupDecision.Changed, BackupPolicy.Decide(Daily, last, "postgres", "tdb_a", "v2", churned with { UserWrites = 8 }, _clock.GetUtcNow()));
        Assert.Equal(BackupDecision.Changed, BackupPolicy.Decide(Daily, last, "postgres", "tdb_a", "v2", churned, _clock.GetUtcNow())); // unconfirmed
        // Nothing to confirm when the counter did not move, or when something else changed (that is a change by itself).
        Assert.False(BackupPolicy.NeedsUserWrites(last, "postgres", "tdb_a", "v2", new WriteSignal(100, Reset)));
        Assert.False(BackupPolicy.NeedsUserWrites(last, "postgres", "tdb_r1", "v2", churned));
        Assert.False(BackupPolicy.NeedsUserWrites(null, "postgres", "tdb_a", "v2", churned));
    }
}
