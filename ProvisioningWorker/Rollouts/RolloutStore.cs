using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>A tenant a worker has claimed in a rollout: its holder token fences every later write.</summary>
public sealed record ClaimedTenant(Guid RolloutId, Guid TenantId, string TenantSlug, string Server, int Ring, int Attempts, string Holder);

/// <summary>
/// The rollout tables. Every decision that more than one worker could take at once (planning, claiming, judging a ring) runs under
/// a row lock on the rollout (<c>FOR UPDATE</c>), so workers share the work without doing any of it twice; a tenant's row is
/// claimed with a lease and finished only by its holder, so a dead worker's tenants are taken over when their lease runs out.
/// </summary>
public sealed class RolloutStore(CatalogDbContext db, TenantSchema schema, TimeProvider clock)
{
    private static readonly TenantStatus[] Migratable = [TenantStatus.Active, TenantStatus.Suspended, TenantStatus.Hibernated];

    public Task<SchemaRollout?> RunningAsync(CancellationToken ct) =>
        db.Rollouts.AsNoTracking().SingleOrDefaultAsync(r => r.State == RolloutState.Running, ct);

    /// <summary>Whether any tenant a rollout could migrate is behind <paramref name="target"/>.</summary>
    public Task<bool> AnyBehindAsync(string target, CancellationToken ct) => Behind(target).AnyAsync(ct);

    /// <summary>Tenants a rollout to <paramref name="target"/> has to take forward, by server.</summary>
    public async Task<List<(RolloutCandidate Candidate, string Slug, string Server)>> CandidatesAsync(string target, CancellationToken ct)
    {
        var rows = await Behind(target)
            .Select(t => new { t.Id, t.IsCanary, t.CreatedAt, t.Slug, t.Server })
            .ToListAsync(ct);
        return [.. rows.Select(t => (new RolloutCandidate(t.Id, t.IsCanary, t.CreatedAt), t.Slug, t.Server))];
    }

    /// <summary>Writes the plan and enters the first non-empty ring; false when another worker planned it first.</summary>
    public async Task<bool> PlanAsync(Guid rolloutId, IReadOnlyList<RolloutTenant> rows, CancellationToken ct)
    {
        var planned = await db.InTransactionAsync(async token =>
        {
            var rollout = await LockAsync(rolloutId, token);
            if (rollout is null || rollout.CurrentRing >= 0 || rollout.State != RolloutState.Running)
            {
                return false;
            }
            db.RolloutTenants.AddRange(rows);
            var now = clock.GetUtcNow();
            rollout.CurrentRing = rows.Count == 0 ? 0 : rows.Min(r => r.Ring);
            rollout.RingStartedAt = now;
            rollout.UpdatedAt = now;
            await db.SaveChangesAsync(token);
            return true;
        }, ct);
        db.ChangeTracker.Clear();
        return planned;
    }

    /// <summary>
    /// Claims the next tenant of the current ring that is due (pending and past its backoff, or running under an expired lease),
    /// unless the rollout already runs its parallelism (<paramref name="parallelism"/>, resolved) on that tenant's server.
    /// </summary>
    public async Task<ClaimedTenant?> ClaimAsync(Guid rolloutId, string workerId, int parallelism, TimeSpan lease, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var holder = $"{workerId}/{Guid.NewGuid():N}";
        var claimed = await db.RolloutTenants.FromSql($"""
            WITH r AS (SELECT id, current_ring FROM schema_rollouts
                        WHERE id = {rolloutId} AND state = 'Running' FOR UPDATE),
                 busy AS (SELECT server, count(*) AS n FROM schema_rollout_tenants
                           WHERE rollout_id = {rolloutId} AND state = 'Running' AND lease_expires_at >= {now}
                           GROUP BY server)
            UPDATE schema_rollout_tenants t
               SET state = 'Running', attempts = t.attempts + 1, leased_by = {holder},
                   lease_expires_at = {now + lease}, started_at = {now}
             WHERE (t.rollout_id, t.tenant_id) = (
                   SELECT c.rollout_id, c.tenant_id FROM schema_rollout_tenants c JOIN r ON c.rollout_id = r.id
                    WHERE c.ring = r.current_ring
                      AND ((c.state = 'Pending' AND c.next_attempt_at <= {now})
                           OR (c.state = 'Running' AND c.lease_expires_at < {now}))
                      AND coalesce((SELECT n FROM busy WHERE busy.server = c.server), 0) < {parallelism}
                    ORDER BY c.next_attempt_at
                    LIMIT 1
                    FOR UPDATE OF c SKIP LOCKED)
            RETURNING t.*
            """).AsNoTracking().ToListAsync(ct);
        return claimed.SingleOrDefault() is { } row
            ? new(row.RolloutId, row.TenantId, row.TenantSlug, row.Server, row.Ring, row.Attempts, holder)
            : null;
    }

    /// <summary>
    /// Records a claimed tenant's outcome, and with it (same transaction) the tenant's schema version in the catalog. False when the
    /// claim was no longer ours (its lease ran out and another worker took it): the other holder records the outcome.
    /// </summary>
    public async Task<bool> FinishAsync(ClaimedTenant claim, RolloutTenantState state, TenantMigrationResult? result, string? error,
        DateTimeOffset? retryAt, Func<Tenant, Task>? recordTenant, CancellationToken ct, bool refundAttempt = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await db.InTransactionAsync(async token =>
                {
                    var now = clock.GetUtcNow();
                    var updated = await db.RolloutTenants
                        .Where(t => t.RolloutId == claim.RolloutId && t.TenantId == claim.TenantId
                                    && t.LeasedBy == claim.Holder && t.State == RolloutTenantState.Running)
                        .ExecuteUpdateAsync(s => s
                            .SetProperty(t => t.State, state)
                            .SetProperty(t => t.Attempts, t => refundAttempt ? t.Attempts - 1 : t.Attempts)
                            .SetProperty(t => t.FromMigration, t => result == null ? t.FromMigration : result.From)
                            .SetProperty(t => t.ToMigration, t => result == null ? t.ToMigration : result.To)
                            .SetProperty(t => t.DurationMs, t => result == null ? t.DurationMs : result.Duration.TotalMilliseconds)
                            .SetProperty(t => t.Error, Truncate(error))
                            .SetProperty(t => t.NextAttemptAt, retryAt ?? now)
                            .SetProperty(t => t.CompletedAt, state == RolloutTenantState.Pending ? null : now)
                            .SetProperty(t => t.LeasedBy, (string?)null)
                            .SetProperty(t => t.LeaseExpiresAt, (DateTimeOffset?)null), token);
                    if (updated == 0)
                    {
                        return false;
                    }
                    if (recordTenant is not null && await db.Tenants.SingleOrDefaultAsync(t => t.Id == claim.TenantId, token) is { } tenant)
                    {
                        await recordTenant(tenant);
                        await db.SaveChangesAsync(token);
                    }
                    return true;
                }, ct);
            }
            catch (DbUpdateConcurrencyException) when (attempt < 5)
            {
                // The API changed the tenant's row meanwhile (a suspend, a resume): the transaction rolled back; record again.
            }
        }
    }

    /// <summary>
    /// A tenant migrated outside the rollout (on wake, or asked for by a request): its pending or deferred rows in rollouts it has now
    /// reached are done, so an open rollout neither waits for it nor migrates it again, and a finished one's record says where it is.
    /// </summary>
    public Task<int> RecordOutsideAsync(Guid tenantId, TenantMigrationResult result, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var reached = result.To is null ? [] : schema.UpTo(result.To);
        return db.RolloutTenants
            .Where(t => t.TenantId == tenantId
                        && (t.State == RolloutTenantState.Deferred || t.State == RolloutTenantState.Pending)
                        && db.Rollouts.Any(r => r.Id == t.RolloutId && reached.Contains(r.TargetMigration) && r.State != RolloutState.Aborted))
            .ExecuteUpdateAsync(s => s
                .SetProperty(t => t.State, RolloutTenantState.Succeeded)
                .SetProperty(t => t.FromMigration, result.From)
                .SetProperty(t => t.ToMigration, result.To)
                .SetProperty(t => t.DurationMs, result.Duration.TotalMilliseconds)
                .SetProperty(t => t.CompletedAt, now), ct);
    }

    /// <summary>Judges the current ring under the rollout's lock and moves on: next ring, completed, or halted with the reason.</summary>
    public Task<RingOutcome?> JudgeAsync(Guid rolloutId, CancellationToken ct) => db.InTransactionAsync(async ct =>
    {
        var rollout = await LockAsync(rolloutId, ct);
        if (rollout is null || rollout.State != RolloutState.Running || rollout.CurrentRing < 0)
        {
            return (RingOutcome?)null;
        }
        var ring = rollout.CurrentRing;
        var counts = await db.RolloutTenants.Where(t => t.RolloutId == rolloutId && t.Ring == ring)
            .GroupBy(t => t.State).Select(g => new { g.Key, N = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.N, ct);
        var verdict = RingGate.Judge(counts, rollout.ErrorBudget);
        if (verdict == RingVerdict.Working)
        {
            return null;
        }
        var now = clock.GetUtcNow();
        var outcome = new RingOutcome(rollout, ring, verdict, counts, rollout.RingStartedAt ?? rollout.CreatedAt, now);
        if (verdict == RingVerdict.OverBudget)
        {
            var failures = await db.RolloutTenants.AsNoTracking()
                .Where(t => t.RolloutId == rolloutId && t.Ring == ring && t.State == RolloutTenantState.Failed)
                .OrderBy(t => t.CompletedAt).Select(t => t.TenantSlug + ": " + t.Error).Take(3).ToListAsync(ct);
            rollout.State = RolloutState.Halted;
            rollout.HaltReason = Truncate(
                $"ring {RolloutRules.RingName(ring, rollout.RingPercents)}: {counts.GetValueOrDefault(RolloutTenantState.Failed)} of " +
                $"{counts.Values.Sum()} tenants failed, the error budget allows {RingGate.AllowedFailures(counts.Values.Sum(), rollout.ErrorBudget)}; " +
                string.Join("; ", failures));
        }
        else
        {
            var next = await db.RolloutTenants.Where(t => t.RolloutId == rolloutId && t.Ring > ring)
                .MinAsync(t => (int?)t.Ring, ct);
            if (next is null)
            {
                rollout.State = RolloutState.Completed;
                rollout.CompletedAt = now;
            }
            else
            {
                rollout.CurrentRing = next.Value;
                rollout.RingStartedAt = now;
            }
        }
        rollout.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return outcome;
    }, ct);

    private IQueryable<Tenant> Behind(string target)
    {
        var older = schema.Before(target);
        return db.Tenants.AsNoTracking()
            .Where(t => Migratable.Contains(t.Status) && (t.SchemaVersion == null || older.Contains(t.SchemaVersion)));
    }

    private async Task<SchemaRollout?> LockAsync(Guid rolloutId, CancellationToken ct) =>
        (await db.Rollouts.FromSql($"SELECT * FROM schema_rollouts WHERE id = {rolloutId} FOR UPDATE").ToListAsync(ct)).SingleOrDefault();

    private static string? Truncate(string? text) => text is { Length: > 2000 } ? text[..2000] : text;
}

/// <summary>A ring that ended (passed, or over its error budget), for its span and log.</summary>
public sealed record RingOutcome(
    SchemaRollout Rollout, int Ring, RingVerdict Verdict, IReadOnlyDictionary<RolloutTenantState, int> Counts,
    DateTimeOffset StartedAt, DateTimeOffset EndedAt);
