namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>Wakes the rollout runner when a rollout is started or resumed (a NOTIFY), instead of at its next poll.</summary>
public sealed class RolloutSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Signal()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled: one wake-up is enough
        }
    }

    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);

    public void Dispose() => _signal.Dispose();
}
