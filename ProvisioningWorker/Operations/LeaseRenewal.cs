using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Operations;

/// <summary>
/// Keeps a claimed operation's lease alive while its handler runs (every third of the lease), on its own scope and catalog
/// connection. When a renewal finds the lease taken over, <see cref="Lost"/> is cancelled: the handler stops at its next await,
/// and its fenced writes (<see cref="OperationLease"/>) would refuse anyway. A renewal that fails for a transient reason is
/// retried at the next tick; the lease is three ticks long, so one missed tick costs nothing.
/// </summary>
public sealed class LeaseRenewal : IAsyncDisposable
{
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LeaseRenewal(IServiceScopeFactory scopes, TenantOperation operation, TimeSpan lease, TimeProvider clock, ILogger logger)
    {
        _loop = RenewAsync(scopes, operation, lease, clock, logger);
    }

    /// <summary>Cancelled when another holder has the operation now.</summary>
    public CancellationToken Lost => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    private async Task RenewAsync(IServiceScopeFactory scopes, TenantOperation operation, TimeSpan lease, TimeProvider clock, ILogger logger)
    {
        using var timer = new PeriodicTimer(lease / 3, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    if (!await scope.ServiceProvider.GetRequiredService<OperationQueue>().RenewAsync(operation, lease, _stop.Token))
                    {
                        logger.LogWarning("Lease on {Kind} operation {Operation} was taken over; stopping", operation.Kind, operation.Id);
                        await _lost.CancelAsync();
                        return;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Could not renew the lease on operation {Operation}; retrying", operation.Id);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // the handler finished
        }
    }

    /// <summary>Stops renewing (the handler is done; its outcome is written next, under the lease it still holds).</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
        _lost.Dispose();
    }
}
