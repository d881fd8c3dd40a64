using TenantAspire.ProvisioningWorker.Backups;
using TenantAspire.ProvisioningWorker.Operations;

namespace TenantAspire.Tests.Unit;

public sealed class BackoffTests
{
    [Fact]
    public void Doubles_from_the_first_delay_and_stops_at_the_cap()
    {
        var delays = Enumerable.Range(1, 10).Select(a => Backoff.For(a, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30))).ToList();
        Assert.Equal(TimeSpan.FromMilliseconds(200), delays[0]);
        Assert.Equal(TimeSpan.FromMilliseconds(400), delays[1]);
        Assert.Equal(TimeSpan.FromMilliseconds(25_600), delays[7]);
        Assert.Equal(TimeSpan.FromSeconds(30), delays[9]);
        Assert.Equal(TimeSpan.FromMilliseconds(200), Backoff.For(0, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void A_hibernating_tenant_has_unsaved_writes_unless_its_newest_backup_has_its_counter()
    {
        var last = new LastBackup(DateTimeOffset.UnixEpoch, "postgres", "tdb_a", "v1", 42, null);
        Assert.True(BackupPolicy.HasUnsavedWrites(null, "postgres", "tdb_a", "v1", new(42, null)));
        Assert.False(BackupPolicy.HasUnsavedWrites(last, "postgres", "tdb_a", "v1", new(42, null)));
        Assert.True(BackupPolicy.HasUnsavedWrites(last, "postgres", "tdb_a", "v1", new(43, null)));
        Assert.True(BackupPolicy.HasUnsavedWrites(last, "postgres", "tdb_b", "v1", new(42, null))); // restored or moved since
        Assert.True(BackupPolicy.HasUnsavedWrites(last, "postgres", "tdb_a", "v1", null)); // statistics unreadable
    }
}
