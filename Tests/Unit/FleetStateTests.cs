using Microsoft.Extensions.Diagnostics.HealthChecks;
using TenantAspire.AppHost.Tenants;

namespace TenantAspire.Tests.Unit;

public sealed class FleetStateTests
{
    private static FleetState State(long failedTenants = 0, long failedOperations = 0) => new(
        new Dictionary<string, long> { ["Active"] = 5, ["Hibernated"] = 2, ["Failed"] = failedTenants },
        new Dictionary<string, long> { ["20261126021831_InitialTenantSchema"] = 7 },
        OperationsPending: 1, OperationsRunning: 0, OperationsFailedLastHour: failedOperations);

    [Fact]
    public void Properties_count_every_status_and_schema_version()
    {
        var properties = State().Properties().ToDictionary(p => p.Name, p => p.Value);
        Assert.Equal("7", properties["tenants.total"]);
        Assert.Equal("5", properties["tenants.active"]);
        Assert.Equal("2", properties["tenants.hibernated"]);
        Assert.Equal("0", properties["tenants.suspended"]); // a status with no tenant still shows, as 0
        Assert.Equal("7", properties["schema.20261126021831_InitialTenantSchema"]);
        Assert.Equal("1", properties["operations.pending"]);
    }

    [Fact]
    public void Failed_tenants_or_operations_make_the_fleet_degraded_with_the_reason()
    {
        Assert.Equal(HealthStatus.Healthy, State().Health().Status);
        var degraded = State(failedTenants: 2, failedOperations: 3).Health();
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("2 tenant(s) failed (provisioning or deletion)", degraded.Description, StringComparison.Ordinal);
        Assert.Contains("3 operation(s) failed in the last hour", degraded.Description, StringComparison.Ordinal);
    }
}
