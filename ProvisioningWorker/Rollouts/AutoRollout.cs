using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>
/// At start-up: when this build's newest migration is ahead of any tenant, start a rollout to it with the configured rings
/// (<see cref="MigrationOptions.AutoRollout"/>). Once per target: a rollout an operator aborted is not restarted behind their back.
/// An open rollout to an older target is superseded (aborted with that reason), since the new one takes every tenant further.
/// Two workers starting together race on the catalog's one-open-rollout index; the loser finds the winner's rollout.
/// </summary>
public sealed class AutoRollout(
    CatalogDbContext db, RolloutStore store, SchemaTargets targets, IOptions<MigrationOptions> options, TimeProvider clock, ILogger<AutoRollout> logger)
{
    public const string Actor = "provisioning-worker (auto-rollout)";

    public async Task<SchemaRollout?> StartIfBehindAsync(CancellationToken ct)
    {
        var o = options.Value;
        var target = targets.NewTenants;
        if (!o.AutoRollout
            || !await store.AnyBehindAsync(target, ct)
            || await db.Rollouts.AnyAsync(r => r.TargetMigration == target, ct))
        {
            return null;
        }
        var now = clock.GetUtcNow();
        var open = await db.Rollouts.SingleOrDefaultAsync(r => SchemaRollout.OpenStates.Contains(r.State), ct);
        if (open is not null)
        {
            open.State = RolloutState.Aborted;
            open.HaltReason = $"superseded by the rollout to {target}";
            open.CompletedAt = now;
            open.UpdatedAt = now;
        }
        var rollout = RolloutFactory.Running(target, o.Rings, o.Parallelism, o.ErrorBudget, includeHibernated: false, Actor,
            OperationTrace.None, now);
        db.Rollouts.Add(rollout);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            logger.LogInformation("Another worker started the rollout to {Target} first", target);
            return null;
        }
        logger.LogInformation("Tenants are behind {Target}: started rollout {Rollout}", target, rollout.Id);
        return rollout;
    }
}
