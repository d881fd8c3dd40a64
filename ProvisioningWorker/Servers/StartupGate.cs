using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>
/// A start-up stage that opens once and stays open: background services wait for it, and the worker's /health is Unhealthy
/// (so the AppHost holds back whatever waits for the worker) until it is open.
/// </summary>
public abstract class StartupGate(string pendingReason)
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => _open.Task.IsCompleted;

    public void Open() => _open.TrySetResult();

    public Task WaitAsync(CancellationToken ct) => _open.Task.WaitAsync(ct);

    public HealthCheckResult Health() => IsOpen ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(pendingReason);
}

/// <summary>Reports a <see cref="StartupGate"/> on /health.</summary>
internal sealed class StartupGateHealthCheck<TGate>(TGate gate) : IHealthCheck where TGate : StartupGate
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(gate.Health());
}

/// <summary>The catalog's migrations are applied (<see cref="CatalogMigration.CatalogMigrator"/>).</summary>
public sealed class CatalogMigrationState() : StartupGate("catalog migrations not applied yet");

/// <summary>The server bootstrap is done: the provisioning roles and both services' catalog logins exist with their grants.</summary>
public sealed class ProvisioningReadiness() : StartupGate("server bootstrap not done yet");
