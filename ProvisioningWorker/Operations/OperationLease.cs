using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Operations;

/// <summary>
/// The operation this scope runs, and the fence around its catalog writes: <see cref="SaveChangesAsync"/> commits the handler's
/// changes only in a transaction that holds the operation's row locked under this holder's token. A worker that stalled past its
/// lease (GC pause, slow step, network) and was replaced therefore writes nothing over the new holder's work.
/// </summary>
public sealed class OperationLease(CatalogDbContext db, OperationQueue queue, IOptions<ProvisioningOptions> options)
{
    private TenantOperation? _operation;

    public TenantOperation Operation => _operation ?? throw new InvalidOperationException("No operation claimed in this scope.");

    public void Hold(TenantOperation operation) => _operation = operation;

    /// <summary>Saves the catalog changes if the lease is still ours; else <see cref="LeaseLostException"/> and nothing is saved.</summary>
    public async Task SaveChangesAsync(CancellationToken ct)
    {
        // Aspire's EF Core integration retries on transient errors; a user transaction must run inside its execution strategy.
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(token);
            await queue.LockHeldAsync(Operation, token);
            await db.SaveChangesAsync(acceptAllChangesOnSuccess: false, token);
            await tx.CommitAsync(token);
        }, ct);
        db.ChangeTracker.AcceptAllChanges();
    }

    /// <summary>
    /// Before anything irreversible (dropping a database or a role): extends the lease, or throws if another holder has the
    /// operation now, because then what we are about to drop may be theirs.
    /// </summary>
    public async Task EnsureHeldAsync(CancellationToken ct)
    {
        if (!await queue.RenewAsync(Operation, options.Value.Lease, ct))
        {
            throw new LeaseLostException(Operation);
        }
    }
}
