using Npgsql;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Operations;

/// <summary>
/// Durable queue over <c>tenant_operations</c>. Claiming is one statement with FOR UPDATE SKIP LOCKED, so any number of workers
/// share it without double work; the lease makes a crashed worker's operation claimable again. Every claim gets its own holder
/// token (<c>leased_by</c>), and every later write names it: renewing, finishing and the handlers' catalog writes
/// (<see cref="OperationLease"/>) change nothing once another holder has taken the operation over (a fencing token).
/// A job library (Hangfire, Quartz) would add its own schema and scheduler for what is one UPDATE here, and could not share the
/// catalog's transaction.
/// </summary>
public sealed class OperationQueue(CatalogDbContext db, TimeProvider clock)
{
    public async Task<TenantOperation?> TryClaimAsync(string workerId, TimeSpan lease, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ClaimOnceAsync(workerId, lease, ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Another worker claimed (or a pass began) an operation of the same tenant in the same instant: the unique index
                // over running operations refused ours. Look again (that tenant is skipped now); after three, wait for the next poll.
                if (attempt >= 3)
                {
                    return null;
                }
            }
        }
    }

    private async Task<TenantOperation?> ClaimOnceAsync(string workerId, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var holder = $"{workerId}/{Guid.NewGuid():N}";
        var claimed = await db.Operations.FromSql($"""
            UPDATE tenant_operations
               SET state = 'Running', attempts = attempts + 1, leased_by = {holder},
                   lease_expires_at = {now + lease}, started_at = {now}, updated_at = {now}
             WHERE id = (SELECT o.id FROM tenant_operations o
                          WHERE ((o.state = 'Pending' AND o.next_attempt_at <= {now})
                                 OR (o.state = 'Running' AND o.lease_expires_at < {now}))
                            -- one operation per tenant at a time (ux_tenant_operations_one_running enforces it; this skips
                            -- tenants that are busy, including with an expired lease: that operation is itself claimable)
                            AND NOT EXISTS (SELECT 1 FROM tenant_operations r
                                             WHERE r.tenant_id = o.tenant_id AND r.id <> o.id AND r.state = 'Running')
                            -- delete wins: once asked for, nothing else of the tenant starts (the delete cancels it); one that
                            -- had started and lost its worker is finished first, or the delete would wait behind it for ever
                            AND (o.kind = 'Delete' OR o.state = 'Running' OR NOT EXISTS (SELECT 1 FROM tenant_operations d
                                                                   WHERE d.tenant_id = o.tenant_id AND d.kind = 'Delete'
                                                                     AND d.state = 'Pending'))
                          ORDER BY o.next_attempt_at
                          LIMIT 1
                          FOR UPDATE SKIP LOCKED)
            RETURNING *
            """).AsNoTracking().ToListAsync(ct);
        return claimed.SingleOrDefault();
    }

    /// <summary>
    /// Begins work that is not queued (a backup pass's dump, a rollout's migration of one tenant) as the tenant's running operation,
    /// under the same one-running rule as claimed ones; null when the tenant has an operation running. If this worker dies, the
    /// lease runs out and the queue claims the row like any other, so the work is finished by its handler.
    /// </summary>
    public async Task<TenantOperation?> TryBeginAsync(Guid tenantId, OperationKind kind, string workerId, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7();
        var holder = $"{workerId}/{Guid.NewGuid():N}";
        var kindName = kind.ToString();
        var begun = await db.Operations.FromSql($"""
            INSERT INTO tenant_operations (id, tenant_id, kind, state, attempts, next_attempt_at, leased_by, lease_expires_at,
                                           created_at, updated_at, started_at)
            SELECT {id}, {tenantId}, {kindName}, 'Running', 1, {now}, {holder}, {now + lease}, {now}, {now}, {now}
             WHERE NOT EXISTS (SELECT 1 FROM tenant_operations WHERE tenant_id = {tenantId} AND state = 'Running')
            ON CONFLICT (tenant_id) WHERE state = 'Running' DO NOTHING
            RETURNING *
            """).AsNoTracking().ToListAsync(ct);
        return begun.SingleOrDefault();
    }

    /// <summary>Extends the lease; false when it is no longer ours (expired and claimed by another holder, or finished).</summary>
    public async Task<bool> RenewAsync(TenantOperation operation, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return await Held(operation).ExecuteUpdateAsync(s => s
            .SetProperty(o => o.LeaseExpiresAt, now + lease)
            .SetProperty(o => o.UpdatedAt, now), ct) == 1;
    }

    /// <summary>
    /// Inside the caller's transaction: locks the operation row if this holder still has it (so no one can take it over before
    /// the transaction ends), or throws <see cref="LeaseLostException"/>.
    /// </summary>
    public async Task LockHeldAsync(TenantOperation operation, CancellationToken ct)
    {
        var held = await db.Database.SqlQuery<int>($"""
            SELECT 1 AS "Value" FROM tenant_operations
             WHERE id = {operation.Id} AND leased_by = {operation.LeasedBy} AND state = 'Running'
             FOR UPDATE
            """).ToListAsync(ct);
        if (held.Count == 0)
        {
            throw new LeaseLostException(operation);
        }
    }

    public Task<bool> CompleteAsync(TenantOperation operation, CancellationToken ct) =>
        SetAsync(operation, OperationState.Succeeded, error: null, nextAttempt: null, ct);

    public Task<bool> RetryLaterAsync(TenantOperation operation, string error, TimeSpan delay, CancellationToken ct) =>
        SetAsync(operation, OperationState.Pending, error, clock.GetUtcNow() + delay, ct);

    public Task<bool> FailAsync(TenantOperation operation, string error, CancellationToken ct) =>
        SetAsync(operation, OperationState.Failed, error, nextAttempt: null, ct);

    /// <returns>false when the lease was lost meanwhile: the new holder's state stands.</returns>
    private async Task<bool> SetAsync(TenantOperation operation, OperationState state, string? error, DateTimeOffset? nextAttempt,
        CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return await Held(operation).ExecuteUpdateAsync(s => s
            .SetProperty(o => o.State, state)
            .SetProperty(o => o.LastError, o => error ?? o.LastError)
            .SetProperty(o => o.NextAttemptAt, o => nextAttempt ?? o.NextAttemptAt)
            .SetProperty(o => o.LeasedBy, (string?)null)
            .SetProperty(o => o.LeaseExpiresAt, (DateTimeOffset?)null)
            .SetProperty(o => o.UpdatedAt, now)
            .SetProperty(o => o.CompletedAt, o => state == OperationState.Succeeded || state == OperationState.Failed ? now : null), ct) == 1;
    }

    private IQueryable<TenantOperation> Held(TenantOperation operation) =>
        db.Operations.Where(o => o.Id == operation.Id && o.LeasedBy == operation.LeasedBy && o.State == OperationState.Running);
}

/// <summary>This worker's lease on an operation ended (another holder took it over): stop, write nothing, clean up nothing.</summary>
public sealed class LeaseLostException(TenantOperation operation)
    : Exception($"lease on operation {operation.Id} lost (holder {operation.LeasedBy})");

/// <summary>Npgsql errors that say "another attempt got there first": a race with another holder, never a reason to give up.</summary>
internal static class RaceErrors
{
    public static bool IsDuplicate(PostgresException e) => e.SqlState is PostgresErrorCodes.DuplicateObject
        or PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateSchema
        or PostgresErrorCodes.DuplicateFunction or PostgresErrorCodes.UniqueViolation;
}
