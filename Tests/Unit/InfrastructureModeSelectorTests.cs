using TenantAspire.AppHost;

namespace TenantAspire.Tests.Unit;

public sealed class InfrastructureModeSelectorTests
{
    [Theory]
    [InlineData("local", true, InfrastructureMode.Local)]
    [InlineData("local", false, InfrastructureMode.Local)]
    [InlineData("containers", false, InfrastructureMode.Containers)]
    [InlineData("Containers", false, InfrastructureMode.Containers)]
    [InlineData("auto", true, InfrastructureMode.Containers)]
    [InlineData("auto", false, InfrastructureMode.Local)]
    [InlineData(null, true, InfrastructureMode.Containers)]
    [InlineData(null, false, InfrastructureMode.Local)]
    [InlineData(" LOCAL ", true, InfrastructureMode.Local)]
    public void Run_mode_follows_configuration_and_runtime(string? configured, bool runtimeAnswers, InfrastructureMode expected) =>
        Assert.Equal(expected, InfrastructureModeSelector.Select(configured, isPublishMode: false, () => runtimeAnswers));

    [Theory]
    [InlineData("local")]
    [InlineData("auto")]
    [InlineData(null)]
    public void Publish_mode_always_describes_containers(string? configured) =>
        Assert.Equal(InfrastructureMode.Containers,
            InfrastructureModeSelector.Select(configured, isPublishMode: true, () => throw new InvalidOperationException("not asked")));

    [Fact]
    public void Explicit_mode_does_not_probe_the_runtime() =>
        Assert.Equal(InfrastructureMode.Local,
            InfrastructureModeSelector.Select("local", isPublishMode: false, () => throw new InvalidOperationException("not asked")));

    [Fact]
    public void Unknown_mode_is_a_clear_error()
    {
        var error = Assert.Throws<InvalidInfrastructureModeException>(
            () => InfrastructureModeSelector.Select("kubernetes", isPublishMode: false, () => false));
        Assert.Contains("containers, local, auto", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_cli_means_no_runtime() =>
        Assert.False(ContainerRuntimeProbe.Answers("definitely-not-a-container-cli"));
}
