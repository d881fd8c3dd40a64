using TenantAspire.AppHost.Tenants;

namespace TenantAspire.Tests.Unit;

/// <summary>What the dashboard's dialogs turn typed text into before the admin API sees it.</summary>
public sealed class DashboardCommandTests
{
    private static readonly int[] DefaultPlan = [1, 10, 50, 100];

    [Fact]
    public void Rings_typed_with_spaces_become_the_plan_and_empty_means_the_APIs_default()
    {
        Assert.Equal(DefaultPlan, RolloutCommands.ParseRings(" 1, 10,50 ,100"));
        Assert.Null(RolloutCommands.ParseRings(""));
        Assert.Null(RolloutCommands.ParseRings("   "));
    }

    [Theory]
    [InlineData("ten")]
    [InlineData("-5,100")]
    [InlineData("1;10")]
    public void Rings_that_are_not_whole_percentages_are_refused(string typed) =>
        Assert.Throws<FormatException>(() => RolloutCommands.ParseRings(typed));

    [Fact]
    public void A_typed_slug_stays_one_path_segment() =>
        Assert.Equal("a%2F..%2Fb%3Fx%3D1", AdminApi.Segment(" a/../b?x=1 "));
}
