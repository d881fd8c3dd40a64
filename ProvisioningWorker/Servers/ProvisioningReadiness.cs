using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>
/// Completes once the server bootstrap is done: the provisioning roles and the API's catalog login exist with their grants.
/// Background helpers wait for it, and the worker is not ready (so the AppHost does not start the API) before it.
/// </summary>
public sealed class ProvisioningReadiness
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public bool IsReady => _ready.Task.IsCompleted;
    public void MarkReady() => _ready.TrySetResult();
    public Task WaitAsync(CancellationToken ct) => _ready.Task.WaitAsync(ct);
}

internal sealed class ProvisioningReadinessHealthCheck(ProvisioningReadiness readiness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(readiness.IsReady ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("server bootstrap not done yet"));
}
