using System.Diagnostics;
using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>
/// One claimed tenant of a rollout: active and suspended tenants are migrated in place; a hibernated one is deferred to its wake
/// (or woken now, when the rollout sweeps hibernated tenants); one being provisioned or deleted, or gone, is skipped (its own
/// operation brings it current). Failures worth a retry go back to pending with backoff until the attempts run out. The migration
/// runs as the tenant's running operation (<see cref="InlineOperations"/>): a tenant busy with another (a restore, a move, a
/// backup) is retried shortly without spending an attempt, and the version is stamped only for the database it migrated.
/// </summary>
public sealed class RolloutTenantMigration(
    CatalogDbContext db, RolloutStore store, TenantMigrator migrator, FaultInjector faults, TenantRouteCache routes,
    InlineOperations inline, IOptions<MigrationOptions> options, TimeProvider clock, ILogger<RolloutTenantMigration> logger)
{
    public async Task RunAsync(SchemaRollout rollout, ClaimedTenant claim, ActivityContext parent, CancellationToken ct)
    {
        TenantTelemetry.Enter(claim.TenantSlug);
        using var activity = RolloutTelemetry.StartTenant(claim, rollout.TargetMigration, parent);
        using var logScope = logger.BeginScope(new Dictionary<string, object?> { [TenantTelemetry.TenantIdKey] = claim.TenantSlug });
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == claim.TenantId, ct);
        if (tenant?.Status is not (TenantStatus.Active or TenantStatus.Suspended or TenantStatus.Hibernated))
        {
            await FinishAsync(claim, RolloutTenantState.Skipped, ct, error: $"tenant is {tenant?.Status.ToString().ToLowerInvariant() ?? "gone"}");
            return;
        }
        if (tenant.Status == TenantStatus.Hibernated)
        {
            if (rollout.IncludeHibernated && await db.EnqueueOnceAsync(tenant.Id, OperationKind.Wake, OperationTrace.Capture(), clock.GetUtcNow(), ct))
            {
                logger.LogInformation("Waking hibernated tenant {Tenant} to migrate it (rollout sweeps hibernated tenants)", tenant.Slug);
            }
            await FinishAsync(claim, RolloutTenantState.Deferred, ct); // the wake migrates it first
            return;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, MigrateStep, ct);
            TenantMigrationResult? result = null;
            var busy = await inline.TryRunAsync(tenant.Id, OperationKind.Upgrade, async (services, held) =>
            {
                // Under the tenant's operation, where it lives now (a restore or a move may have ended since the claim).
                tenant = await services.GetRequiredService<CatalogDbContext>().Tenants.AsNoTracking()
                    .SingleOrDefaultAsync(t => t.Id == claim.TenantId, held) ?? tenant;
                if (tenant.Status is TenantStatus.Active or TenantStatus.Suspended)
                {
                    result = await migrator.MigrateAsync(tenant, rollout.TargetMigration, held);
                }
            }, ct);
            if (busy is not null)
            {
                await FinishAsync(claim, RolloutTenantState.Pending, ct, error: $"waiting for {busy.Running}",
                    retryAt: clock.GetUtcNow() + BusyRetry, outcome: "busy", refund: true);
                return;
            }
            if (result is null)
            {
                await FinishAsync(claim, RolloutTenantState.Skipped, ct, error: $"tenant is {TenantLifecycle.Name(tenant.Status)}");
                return;
            }
            RolloutTelemetry.MigrationDuration.Record(result.Duration.TotalSeconds);
            Tenant? recorded = null;
            var migrated = tenant;
            await FinishAsync(claim, RolloutTenantState.Succeeded, ct, result, record: t =>
            {
                if (t.Server == migrated.Server && t.DatabaseName == migrated.DatabaseName) // the version of the database migrated, only
                {
                    TenantVersions.Apply(db, t, result, RolloutRunner.Actor, clock.GetUtcNow());
                    recorded = t;
                }
                return Task.CompletedTask;
            });
            if (recorded is not null)
            {
                await routes.PublishAsync(recorded, ct); // the API sees the new version at once
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            var reason = Operations.Failures.Describe(e);
            activity?.SetStatus(ActivityStatusCode.Error, reason);
            if (!Operations.Failures.IsPermanent(e) && claim.Attempts < options.Value.MaxAttempts)
            {
                var delay = Backoff.For(claim.Attempts, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10));
                logger.LogWarning("Migrating {Tenant} failed (attempt {Attempt}): {Reason}; retrying in {Delay}", tenant.Slug, claim.Attempts, reason, delay);
                await FinishAsync(claim, RolloutTenantState.Pending, ct, error: reason, retryAt: clock.GetUtcNow() + delay, outcome: "retried");
            }
            else
            {
                logger.LogError("Migrating {Tenant} to {Target} failed for good after {Attempts} attempt(s): {Reason} ({Elapsed:0} ms)",
                    tenant.Slug, rollout.TargetMigration, claim.Attempts, reason, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                await FinishAsync(claim, RolloutTenantState.Failed, ct, error: reason);
            }
        }
    }

    /// <summary>The fault-injection step name for a tenant's migration in a rollout (test hook).</summary>
    public const string MigrateStep = "rollout-migrate";

    /// <summary>How soon a tenant busy with another operation is looked at again.</summary>
    private static readonly TimeSpan BusyRetry = TimeSpan.FromSeconds(1);

    private async Task FinishAsync(ClaimedTenant claim, RolloutTenantState state, CancellationToken ct, TenantMigrationResult? result = null,
        string? error = null, DateTimeOffset? retryAt = null, Func<Tenant, Task>? record = null, string? outcome = null, bool refund = false)
    {
        if (!await store.FinishAsync(claim, state, result, error, retryAt, record, ct, refund))
        {
            logger.LogWarning("Rollout claim on {Tenant} was lost (lease expired); its new holder records the outcome", claim.TenantSlug);
            return;
        }
        RolloutTelemetry.Tenants.Add(1, new KeyValuePair<string, object?>("outcome", outcome ?? state.ToString().ToLowerInvariant()));
    }
}
