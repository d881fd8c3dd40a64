using Microsoft.EntityFrameworkCore;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Provisioning;

/// <summary>
/// Durable queue over <c>tenant_operations</c>. Claiming is one statement with FOR UPDATE SKIP LOCKED, so any number of workers
/// share it without double work; the lease makes a crashed worker's operation claimable again. A job library (Hangfire, Quartz)
/// would add its own schema and scheduler for what is one UPDATE here, and could not share the catalog's transaction.
/// </summary>
public sealed class OperationQueue(CatalogDbContext db, TimeProvider clock)
{
    public async Task<TenantOperation?> TryClaimAsync(string workerId, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var claimed = await db.Operations.FromSql($"""
            UPDATE tenant_operations
               SET state = 'Running', attempts = attempts + 1, leased_by = {workerId},
                   lease_expires_at = {now + lease}, started_at = {now}, updated_at = {now}
             WHERE id = (SELECT o.id FROM tenant_operations o
                          WHERE ((o.state = 'Pending' AND o.next_attempt_at <= {now})
                                 OR (o.state = 'Running' AND o.lease_expires_at < {now}))
                            -- one operation per tenant at a time: a delete never races a provision
                            AND NOT EXISTS (SELECT 1 FROM tenant_operations r
                                             WHERE r.tenant_id = o.tenant_id AND r.id <> o.id
                                               AND r.state = 'Running' AND r.lease_expires_at >= {now})
                          ORDER BY o.next_attempt_at
                          LIMIT 1
                          FOR UPDATE SKIP LOCKED)
            RETURNING *
            """).AsNoTracking().ToListAsync(ct);
        return claimed.SingleOrDefault();
    }

    public Task CompleteAsync(TenantOperation operation, CancellationToken ct) =>
        SetAsync(operation.Id, OperationState.Succeeded, error: null, nextAttempt: null, ct);

    public Task RetryLaterAsync(TenantOperation operation, string error, TimeSpan delay, CancellationToken ct) =>
        SetAsync(operation.Id, OperationState.Pending, error, clock.GetUtcNow() + delay, ct);

    public Task FailAsync(TenantOperation operation, string error, CancellationToken ct) =>
        SetAsync(operation.Id, OperationState.Failed, error, nextAttempt: null, ct);

    private async Task SetAsync(Guid id, OperationState state, string? error, DateTimeOffset? nextAttempt, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await db.Operations.Where(o => o.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(o => o.State, state)
            .SetProperty(o => o.LastError, o => error ?? o.LastError)
            .SetProperty(o => o.NextAttemptAt, o => nextAttempt ?? o.NextAttemptAt)
            .SetProperty(o => o.LeasedBy, (string?)null)
            .SetProperty(o => o.LeaseExpiresAt, (DateTimeOffset?)null)
            .SetProperty(o => o.UpdatedAt, now)
            .SetProperty(o => o.CompletedAt, o => state == OperationState.Succeeded || state == OperationState.Failed ? now : null), ct);
    }
}
