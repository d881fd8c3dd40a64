using TenantAspire.ProvisioningWorker.Servers;

namespace TenantAspire.Tests.Unit;

public sealed class AutovacuumPacingTests
{
    [Theory]
    [InlineData(0, 60)]        // an empty server keeps Postgres' default
    [InlineData(120, 60)]      // 120 databases at 2 launches/s: exactly the default
    [InlineData(121, 61)]      // one more: rounded up to whole seconds
    [InlineData(1000, 500)]
    [InlineData(5000, 2500)]   // 42 min between visits of one database
    [InlineData(1_000_000, 86_400)] // never above a day
    public void The_naptime_keeps_the_launch_rate(long databases, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), AutovacuumPacing.NaptimeFor(databases, 2));

    [Fact]
    public void A_rate_of_zero_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AutovacuumPacing.NaptimeFor(10, 0));

    [Theory]
    [InlineData(60, 60, false)]
    [InlineData(500, 590, false)]  // 18 %: a few new tenants do not rewrite the setting
    [InlineData(500, 610, true)]
    [InlineData(2500, 60, true)]   // a server emptied by a drain goes back to the default
    public void It_changes_only_past_the_hysteresis(int current, int target, bool change) =>
        Assert.Equal(change, AutovacuumPacing.ShouldChange(TimeSpan.FromSeconds(current), TimeSpan.FromSeconds(target)));
}
