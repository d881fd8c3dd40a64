using Microsoft.Extensions.Time.Testing;
using TenantAspire.ProvisioningWorker.Archiving;
using TenantAspire.Tenancy.Backups;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tests.Unit;

/// <summary>
/// Continuous archiving's decisions with a fake clock: which base backup is due, which one a restore starts from, the tenant's
/// recovery window and the rule for a point-in-time target, and pgBackRest's info read.
/// </summary>
public sealed class ArchivePolicyTests
{
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));

    private BaseBackup Backup(string type, TimeSpan ago, TimeSpan? took = null) =>
        new($"{type}-{ago.TotalMinutes}", type, _clock.GetUtcNow() - ago, _clock.GetUtcNow() - ago + (took ?? TimeSpan.FromSeconds(5)));

    [Fact]
    public void A_server_without_a_full_backup_or_with_an_old_one_gets_a_full_one_then_differentials_hourly()
    {
        Assert.Equal("full", BaseBackupPolicy.Due([], _clock.GetUtcNow(), Day, Hour));
        Assert.Equal("full", BaseBackupPolicy.Due([Backup("full", Day)], _clock.GetUtcNow(), Day, Hour));
        Assert.Null(BaseBackupPolicy.Due([Backup("full", TimeSpan.FromMinutes(59))], _clock.GetUtcNow(), Day, Hour));
        Assert.Equal("diff", BaseBackupPolicy.Due([Backup("full", TimeSpan.FromHours(3))], _clock.GetUtcNow(), Day, Hour));
        Assert.Null(BaseBackupPolicy.Due([Backup("full", TimeSpan.FromHours(3)), Backup("diff", TimeSpan.FromMinutes(10))], _clock.GetUtcNow(), Day, Hour));
        _clock.Advance(Hour);
        Assert.Equal("diff", BaseBackupPolicy.Due([Backup("full", TimeSpan.FromHours(4)), Backup("diff", TimeSpan.FromMinutes(70))], _clock.GetUtcNow(), Day, Hour));
    }

    [Fact]
    public void A_restore_starts_from_the_newest_base_backup_that_ended_a_whole_second_before_its_target()
    {
        var full = Backup("full", TimeSpan.FromHours(5));
        var diff = Backup("diff", TimeSpan.FromHours(1));
        List<BaseBackup> backups = [full, diff];
        Assert.Equal(diff, BaseBackupPolicy.StartingPoint(backups, _clock.GetUtcNow()));
        Assert.Equal(full, BaseBackupPolicy.StartingPoint(backups, diff.Stop.AddMilliseconds(500))); // same second as the diff's end
        Assert.Equal(diff, BaseBackupPolicy.StartingPoint(backups, diff.Stop.AddSeconds(1)));
        Assert.Null(BaseBackupPolicy.StartingPoint(backups, full.Stop));
    }

    private Tenant Acme(string server = "postgres", string database = "tdb_a") => new()
    {
        Slug = "acme", Name = "Acme", Server = server, DatabaseName = database, RoleName = "t_a", CreatedAt = _clock.GetUtcNow() - Day,
    };

    private static Dictionary<string, DatabaseServer> Servers(params (string Name, DateTimeOffset? From)[] servers) =>
        servers.ToDictionary(s => s.Name, s => new DatabaseServer { Name = s.Name, RecoverableFrom = s.From });

    [Fact]
    public void On_one_server_the_window_starts_at_the_newer_of_its_oldest_base_backup_and_the_tenants_creation()
    {
        var now = _clock.GetUtcNow();
        var tenant = Acme();
        var history = PlacementHistory.Of(tenant, []);
        Assert.Equal([new Placement("postgres", "tdb_a", now - Day, null)], history);
        var servers = Servers(("postgres", now - 3 * Day));
        servers["postgres"].ArchivedUntil = now - TimeSpan.FromSeconds(20);
        Assert.Equal(now - Day, RecoveryWindow.Of(tenant, history, servers).Earliest);
        Assert.Equal(now - TimeSpan.FromSeconds(20), RecoveryWindow.Of(tenant, history, servers).ArchivedUntil);
        Assert.Equal(now - TimeSpan.FromMinutes(5), RecoveryWindow.Of(tenant, history, Servers(("postgres", now - TimeSpan.FromMinutes(5)))).Earliest);

        Assert.Null(RecoveryWindow.Of(tenant, history, Servers(("postgres", null))).Earliest); // no base backup yet, or not archived
        Assert.Null(RecoveryWindow.Of(tenant, history, Servers()).Earliest);
    }

    [Fact]
    public void The_history_follows_moves_and_in_place_restores_and_leaves_the_tenant_where_it_is_now()
    {
        var now = _clock.GetUtcNow();
        var tenant = Acme("premium", "tdb_a_r1");
        PlacementChange[] changes = // given out of order: the history sorts them
        [
            new(now - Hour, "premium", "tdb_a", "premium", "tdb_a_r1"), // an in-place restore's swap
            new(now - 6 * Hour, "postgres", "tdb_a", "premium", "tdb_a"), // a move's switch
        ];
        Assert.Equal(
            [
                new Placement("postgres", "tdb_a", now - Day, now - 6 * Hour),
                new Placement("premium", "tdb_a", now - 6 * Hour, now - Hour),
                new Placement("premium", "tdb_a_r1", now - Hour, null),
            ],
            PlacementHistory.Of(tenant, changes));
    }

    [Fact]
    public void A_moment_before_a_move_is_restored_from_the_old_server_when_its_archive_reaches_back_to_it()
    {
        var now = _clock.GetUtcNow();
        var tenant = Acme("premium");
        var switchedAt = now - 6 * Hour;
        var history = PlacementHistory.Of(tenant, [new PlacementChange(switchedAt, "postgres", "tdb_a", "premium", "tdb_a")]);

        var both = RecoveryWindow.Of(tenant, history, Servers(("postgres", now - 3 * Day), ("premium", now - 2 * Day)));
        Assert.Equal(now - Day, both.Earliest);
        Assert.Equal(("postgres", "tdb_a"), (both.SourceAt(switchedAt - TimeSpan.FromSeconds(1)).Placement.Server, both.SourceAt(switchedAt - TimeSpan.FromSeconds(1)).Placement.Database));
        Assert.Equal("premium", both.SourceAt(switchedAt).Placement.Server); // the switch itself: the new server
        Assert.Null(both.Refuse(now - 12 * Hour, now));

        // The new server archives only from after the switch: a gap between the switch and its first base backup.
        var gap = RecoveryWindow.Of(tenant, history, Servers(("postgres", now - 3 * Day), ("premium", now - 2 * Hour)));
        Assert.Equal(now - 2 * Hour, gap.Earliest);
        Assert.Null(gap.Refuse(now - 12 * Hour, now)); // the old server still covers it
        Assert.Contains("archives from", gap.Refuse(now - 3 * Hour, now), StringComparison.Ordinal);

        // The old server never archived: history before the switch is out of reach.
        var oldUnarchived = RecoveryWindow.Of(tenant, history, Servers(("postgres", null), ("premium", now - 2 * Day)));
        Assert.Equal(switchedAt, oldUnarchived.Earliest);
        Assert.Contains("no WAL archive", oldUnarchived.Refuse(now - 12 * Hour, now), StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_in_the_future_before_the_window_or_without_a_window_is_refused_with_the_reason()
    {
        var now = _clock.GetUtcNow();
        var tenant = Acme();
        var history = PlacementHistory.Of(tenant, []);
        var window = RecoveryWindow.Of(tenant, history, Servers(("postgres", now - Hour)));
        Assert.Null(window.Refuse(now - TimeSpan.FromMinutes(30), now));
        Assert.Null(window.Refuse(now, now)); // later than the archive: the restore archives the current WAL first
        Assert.Null(window.Refuse(now - Hour, now));
        Assert.Contains("future", window.Refuse(now.AddSeconds(1), now), StringComparison.Ordinal);
        Assert.Contains("earliest", window.Refuse(now - Hour - TimeSpan.FromSeconds(1), now), StringComparison.Ordinal);
        Assert.Contains("created", window.Refuse(now - 2 * Day, now), StringComparison.Ordinal);
        Assert.Contains("no point-in-time recovery", RecoveryWindow.Of(tenant, history, Servers()).Refuse(now - Hour, now), StringComparison.Ordinal);
    }

    [Fact]
    public void A_drill_of_a_sleeping_tenant_picks_a_moment_after_its_newest_backup_and_checks_against_it()
    {
        var now = _clock.GetUtcNow();
        var tenant = Acme();
        tenant.Status = TenantStatus.Hibernated;
        tenant.UpdatedAt = now - 2 * Hour; // fell asleep then
        var backup = new TenantBackup
        {
            TenantSlug = "acme", Server = "postgres", DatabaseName = "tdb_a", BlobName = "b", Sha256 = "s", Trigger = "hibernate",
            CreatedAt = now - 2 * Hour + TimeSpan.FromSeconds(5),
        };
        var window = RecoveryWindow.Of(tenant, PlacementHistory.Of(tenant, []), Servers(("postgres", now - Day)));
        var random = new Random(7);
        for (var i = 0; i < 50; i++)
        {
            var plan = PointInTimeDrillPlan.Hibernated(tenant, backup, window, now, random)!;
            Assert.Same(backup, plan.Oracle);
            Assert.InRange(plan.Target, backup.CreatedAt, now - TimeSpan.FromSeconds(1));
            Assert.Equal(("postgres", "tdb_a"), (plan.Source.Server, plan.Source.Database));
        }

        backup.DatabaseName = "tdb_a_r1"; // a backup of a database the tenant no longer uses proves nothing about the current one
        Assert.Null(PointInTimeDrillPlan.Hibernated(tenant, backup, window, now, random));
        backup.DatabaseName = "tdb_a";
        tenant.Status = TenantStatus.Active; // awake: it may have changed since
        Assert.Null(PointInTimeDrillPlan.Hibernated(tenant, backup, window, now, random));
        var any = PointInTimeDrillPlan.Any(tenant, window, now, random)!;
        Assert.Null(any.Oracle);
        Assert.InRange(any.Target, window.Earliest!.Value, now - TimeSpan.FromSeconds(1));
        Assert.Null(PointInTimeDrillPlan.Any(tenant, RecoveryWindow.Of(tenant, PlacementHistory.Of(tenant, []), Servers()), now, random));
    }

    [Theory]
    [InlineData("base/16397/760179", 16397u)]
    [InlineData("pg_tblspc/16390/PG_15_202209061/16401/16420_vm", 16401u)]
    [InlineData("global/1262", null)]
    public void An_invalid_page_report_names_the_database_it_belongs_to(string relation, uint? oid) =>
        Assert.Equal(oid, ScratchInstance.DatabaseOidOf(relation));

    [Fact]
    public void The_servers_retention_covers_the_longest_window_of_the_tiers_it_holds()
    {
        var options = new ArchiveOptions();
        Assert.Equal(7, options.RetentionDays([TenantTier.Standard]));
        Assert.Equal(14, options.RetentionDays([TenantTier.Standard, TenantTier.Premium]));
        options.Window["Standard"] = TimeSpan.FromHours(6);
        Assert.Equal(1, options.RetentionDays([TenantTier.Standard]));
    }

    [Fact]
    public void PgBackRest_info_is_read_oldest_first_without_backups_it_marked_in_error()
    {
        const string json = """
            [{"archive":[],"backup":[
              {"label":"20261205-215316F_20261205-215406D","type":"diff","error":false,"timestamp":{"start":1796507646,"stop":1796507648}},
              {"label":"20261205-215316F","type":"full","error":false,"timestamp":{"start":1796507596,"stop":1796507598}},
              {"label":"20261205-220000F","type":"full","error":true,"timestamp":{"start":1796508000,"stop":1796508010}}],
              "name":"postgres","status":{"code":0,"message":"ok"}}]
            """;
        var backups = PgBackRest.ParseBackups(json);
        Assert.Equal(["20261205-215316F", "20261205-215316F_20261205-215406D"], backups.Select(b => b.Label));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1796507598), backups[0].Stop);
        Assert.Empty(PgBackRest.ParseBackups("""[{"name":"postgres","status":{"code":1,"message":"missing stanza path"}}]"""));
    }
}
