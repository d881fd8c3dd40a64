using Microsoft.Extensions.Time.Testing;
using TenantAspire.ProvisioningWorker.Telemetry;

namespace TenantAspire.Tests.Unit;

/// <summary>The size collector measures what changed, what it never measured, and a share of the stale readings (fake clock).</summary>
public sealed class SizeMeasurementPlanTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Refresh = TimeSpan.FromHours(1);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Unmeasured_and_written_databases_are_measured_and_quiet_ones_are_not()
    {
        var taken = _clock.GetUtcNow();
        var readings = new Dictionary<string, SizeReading>
        {
            ["quiet"] = new(8_000_000, 10, taken),
            ["written"] = new(8_000_000, 10, taken),
        };
        _clock.Advance(Interval);
        var writes = new Dictionary<string, long> { ["quiet"] = 10, ["written"] = 11, ["new"] = 0 };

        var due = SizeMeasurementPlan.Choose(writes, readings, _clock.GetUtcNow(), Interval, Refresh);

        Assert.Equal(["written", "new"], due);
    }

    [Fact]
    public void Stale_readings_are_refreshed_oldest_first_a_share_per_pass()
    {
        var readings = new Dictionary<string, SizeReading>();
        var writes = new Dictionary<string, long>();
        for (var i = 0; i < 24; i++)
        {
            var name = $"db{i:D2}";
            readings[name] = new(1, 0, _clock.GetUtcNow());
            writes[name] = 0;
            _clock.Advance(TimeSpan.FromSeconds(1)); // db00 oldest
        }
        Assert.Empty(SizeMeasurementPlan.Choose(writes, readings, _clock.GetUtcNow(), Interval, Refresh)); // nothing stale yet

        _clock.Advance(Refresh);
        var due = SizeMeasurementPlan.Choose(writes, readings, _clock.GetUtcNow(), Interval, Refresh);

        // 24 databases × 5 min / 60 min = 2 a pass: the two oldest; in 12 passes every reading is renewed.
        Assert.Equal(["db00", "db01"], due);
    }

    [Fact]
    public void One_stale_reading_is_refreshed_even_in_a_tiny_fleet() =>
        Assert.Single(SizeMeasurementPlan.Choose(new Dictionary<string, long> { ["only"] = 3 },
            new Dictionary<string, SizeReading> { ["only"] = new(1, 3, DateTimeOffset.UnixEpoch) }, DateTimeOffset.UnixEpoch + Refresh, Interval, Refresh));
}
