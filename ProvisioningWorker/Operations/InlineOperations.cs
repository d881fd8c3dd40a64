using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Operations;

/// <summary>The tenant had another operation running, so the inline work did not start (the caller retries later).</summary>
public sealed record TenantBusy(string Running);

/// <summary>
/// Work a pass does for one tenant without queuing it (a scheduled backup's dump, a rollout's migration) runs as that tenant's
/// running operation (<see cref="OperationQueue.TryBeginAsync"/>): it never overlaps a delete, a restore's swap or a move of the
/// same tenant, and they never start beside it. Its lease is renewed like a claimed operation's, and its catalog writes go
/// through the same fence (<see cref="OperationLease"/>). Stopped by a shutdown, the row is left running: its lease runs out and
/// the queue finishes the work with the kind's handler.
/// </summary>
public sealed class InlineOperations(
    IServiceScopeFactory scopes, IOptions<ProvisioningOptions> options, TimeProvider clock, ILogger<InlineOperations> logger)
{
    private readonly string _workerId = $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <returns>null when the work ran (its exception, if any, is rethrown); otherwise what kept the tenant busy.</returns>
    public async Task<TenantBusy?> TryRunAsync(Guid tenantId, OperationKind kind,
        Func<IServiceProvider, CancellationToken, Task> work, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var queue = services.GetRequiredService<OperationQueue>();
        var operation = await queue.TryBeginAsync(tenantId, kind, _workerId, options.Value.Lease, ct);
        if (operation is null)
        {
            var running = await OperationConflicts.RunningAsync(services.GetRequiredService<CatalogDbContext>(), tenantId, ct);
            return new(running is null ? "another operation" : OperationConflicts.Describe(running));
        }
        services.GetRequiredService<OperationLease>().Hold(operation);
        await using var renewal = new LeaseRenewal(scopes, operation, options.Value.Lease, clock, logger);
        using var token = CancellationTokenSource.CreateLinkedTokenSource(ct, renewal.Lost);
        try
        {
            await work(services, token.Token);
            await renewal.StopAsync();
            if (!await queue.CompleteAsync(operation, CancellationToken.None))
            {
                throw new LeaseLostException(operation);
            }
            return null;
        }
        catch (Exception e) when (e is not LeaseLostException && !renewal.IsLost && !ct.IsCancellationRequested)
        {
            await renewal.StopAsync();
            await queue.FailAsync(operation, Failures.Describe(e), CancellationToken.None);
            throw;
        }
    }
}
