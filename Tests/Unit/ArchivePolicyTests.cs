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

    [Fact]
    public void A_tenants_window_starts_at_the_newest_of_its_servers_oldest_backup_its_creation_and_its_databases_last_change()
    {
        var now = _clock.GetUtcNow();
        var tenant = new Tenant { Slug = "acme", Name = "Acme", Server = "postgres", DatabaseName = "tdb_a", RoleName = "t_a", CreatedAt = now - Day };
        var server = new DatabaseServer { Name = "postgres", RecoverableFrom = now - 3 * Day, ArchivedUntil = now - TimeSpan.FromSeconds(20) };
        Assert.Equal(now - Day, RecoveryWindow.Of(tenant, server).Earliest);
        Assert.Equal(now - Hour, RecoveryWindow.Of(tenant, server, now - Hour, null).Earliest); // moved or swapped an hour ago
        server.RecoverableFrom = now - TimeSpan.FromMinutes(5);
        Assert.Equal(now - TimeSpan.FromMinutes(5), RecoveryWindow.Of(tenant, server, now - Hour).Earliest);
        Assert.Equal(now - TimeSpan.FromSeconds(20), RecoveryWindow.Of(tenant, server).ArchivedUntil);

        server.RecoverableFrom = null; // no base backup yet, or not archived
        Assert.Null(RecoveryWindow.Of(tenant, server).Earliest);
        Assert.Null(RecoveryWindow.Of(tenant, null).Earliest);
    }

    [Fact]
    public void A_target_in_the_future_before_the_window_or_without_a_window_is_refused_with_the_reason()
    {
        var now = _clock.GetUtcNow();
        var window = new RecoveryWindow("postgres", now - Hour, now - TimeSpan.FromSeconds(10), null);
        Assert.Null(window.Refuse(now - TimeSpan.FromMinutes(30), now));
        Assert.Null(window.Refuse(now, now)); // later than the archive: the restore archives the current WAL first
        Assert.Null(window.Refuse(now - Hour, now));
        Assert.Contains("future", window.Refuse(now.AddSeconds(1), now), StringComparison.Ordinal);
        Assert.Contains("earliest", window.Refuse(now - Hour - TimeSpan.FromSeconds(1), now), StringComparison.Ordinal);
        Assert.Contains("no point-in-time recovery", new RecoveryWindow("postgres", null, null, null).Refuse(now - Hour, now), StringComparison.Ordinal);
    }

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
