using System.Diagnostics;
using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>
/// Before any tenant: the template of every server involved is migrated to the target and spares cloned from an older template
/// are re-cloned, so no tenant created during or after the rollout starts behind it; then the tenants behind the target are
/// split into rings (<see cref="RingPlanner"/>) and written down, once, by whichever worker gets there first.
/// </summary>
public sealed class RolloutPreparation(
    IServiceScopeFactory scopes, TemplateDatabase template, SpareDatabasePool spares, IOptions<MigrationOptions> options,
    ServerResolver servers, ILogger<RolloutPreparation> logger)
{
    public async Task PrepareAsync(SchemaRollout rollout, ActivityContext parent, CancellationToken ct)
    {
        using var activity = RolloutTelemetry.Source.StartActivity("rollout prepare", ActivityKind.Internal, parent);
        activity?.SetTag("rollout.id", rollout.Id);
        activity?.SetTag("rollout.target", rollout.TargetMigration);
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<RolloutStore>();
        var candidates = await store.CandidatesAsync(rollout.TargetMigration, ct);

        foreach (var server in candidates.Select(c => c.Server).Concat(servers.Names).Distinct(StringComparer.Ordinal))
        {
            await template.BringForwardAsync(server, rollout.TargetMigration, ct);
            try
            {
                await spares.RecloneBehindAsync(server, rollout.TargetMigration, ct);
            }
            catch (Npgsql.NpgsqlException e)
            {
                // Only an optimisation: a spare still at the old version is migrated forward when provisioning claims it.
                logger.LogWarning(e, "Re-cloning spares behind {Target} on {Server} failed; the rollout goes on", rollout.TargetMigration, server);
            }
        }

        var rings = RingPlanner.Plan([.. candidates.Select(c => c.Candidate)], rollout.RingPercents, options.Value.CanaryCount);
        var rows = candidates.Select(c => new RolloutTenant
        {
            RolloutId = rollout.Id,
            TenantId = c.Candidate.Id,
            TenantSlug = c.Slug,
            Server = c.Server,
            Ring = rings[c.Candidate.Id],
            State = RolloutTenantState.Pending,
            NextAttemptAt = rollout.CreatedAt,
        }).ToList();
        if (await store.PlanAsync(rollout.Id, rows, ct))
        {
            activity?.SetTag("rollout.tenants", rows.Count);
            logger.LogInformation("Rollout {Rollout} to {Target}: {Tenants} tenants in rings {Rings}", rollout.Id, rollout.TargetMigration,
                rows.Count, string.Join(", ", rows.GroupBy(r => r.Ring).OrderBy(g => g.Key)
                    .Select(g => $"{RolloutRules.RingName(g.Key, rollout.RingPercents)}={g.Count()}")));
        }
    }
}
