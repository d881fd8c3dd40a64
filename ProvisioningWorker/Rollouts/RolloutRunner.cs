using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>
/// Drives the open rollout, in every worker replica at once: prepares it (templates first, then the ring plan), then runs up to
/// the rollout's parallelism of tenant migrations, claimed one at a time from the current ring, and judges the ring whenever it
/// has nothing left to claim. Everything it knows is in the catalog, so a worker that dies mid-rollout leaves nothing the next one
/// cannot pick up (its claimed tenants come free when their lease ends).
/// </summary>
public sealed class RolloutRunner(
    IServiceScopeFactory scopes,
    ProvisioningReadiness readiness,
    RolloutSignal signal,
    RolloutPreparation preparation,
    RolloutParallelism parallelism,
    IOptions<MigrationOptions> options,
    TimeProvider clock,
    ILogger<RolloutRunner> logger) : BackgroundService
{
    public const string Actor = "provisioning-worker (rollout)";
    private static readonly TimeSpan RetryCheck = TimeSpan.FromMilliseconds(250);
    private readonly string _workerId = $"{Environment.MachineName}/{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await readiness.WaitAsync(stoppingToken);
        await StartAutoRolloutAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = options.Value.PollInterval;
            try
            {
                wait = await StepAsync(stoppingToken) ? TimeSpan.Zero : wait;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(e, "Rollout runner error; retrying");
                wait = TimeSpan.FromSeconds(1);
            }
            if (wait > TimeSpan.Zero)
            {
                await signal.WaitAsync(wait, stoppingToken);
            }
        }
    }

    private async Task StartAutoRolloutAsync(CancellationToken ct)
    {
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                if (await scope.ServiceProvider.GetRequiredService<AutoRollout>().StartIfBehindAsync(ct) is not null)
                {
                    await scope.ServiceProvider.GetRequiredService<CatalogDbContext>().NotifyRolloutAsync(ct);
                }
                return;
            }
            catch (Exception e) when (e is NpgsqlException or DbUpdateException && !ct.IsCancellationRequested)
            {
                logger.LogWarning(e, "Auto-rollout check failed (attempt {Attempt})", attempt);
                await Task.Delay(Backoff.For(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)), ct);
            }
        }
    }

    /// <returns>true when there may be more to do at once (a ring just ended, or the rollout was just planned).</returns>
    private async Task<bool> StepAsync(CancellationToken ct)
    {
        SchemaRollout? rollout;
        await using (var scope = scopes.CreateAsyncScope())
        {
            rollout = await scope.ServiceProvider.GetRequiredService<RolloutStore>().RunningAsync(ct);
        }
        if (rollout is null)
        {
            return false;
        }
        ActivityContext.TryParse(rollout.TraceParent, null, out var parent);
        if (rollout.CurrentRing < 0)
        {
            await preparation.PrepareAsync(rollout, parent, ct);
            return true;
        }

        var slots = await parallelism.ResolveAsync(rollout, ct);
        await Task.WhenAll(Enumerable.Range(0, slots).Select(_ => DrainAsync(rollout, slots, parent, ct)));

        await using (var scope = scopes.CreateAsyncScope())
        {
            if (await scope.ServiceProvider.GetRequiredService<RolloutStore>().JudgeAsync(rollout.Id, ct) is { } outcome)
            {
                RolloutTelemetry.RecordRing(outcome, parent);
                logger.Log(outcome.Verdict == RingVerdict.OverBudget ? LogLevel.Error : LogLevel.Information,
                    "Rollout {Rollout} to {Target}: ring {Ring} {Verdict} ({Counts}){Reason}", rollout.Id, rollout.TargetMigration,
                    RolloutRules.RingName(outcome.Ring, rollout.RingPercents), outcome.Verdict,
                    string.Join(", ", outcome.Counts.Select(c => $"{c.Key}={c.Value}")),
                    outcome.Verdict == RingVerdict.OverBudget ? $": halted: {outcome.Rollout.HaltReason}" : string.Empty);
                return outcome.Verdict == RingVerdict.Passed;
            }
        }
        await Task.Delay(RetryCheck, clock, ct); // tenants still running elsewhere, or waiting out their backoff
        return true;
    }

    private async Task DrainAsync(SchemaRollout rollout, int slots, ActivityContext parent, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await using var scope = scopes.CreateAsyncScope();
            var store = scope.ServiceProvider.GetRequiredService<RolloutStore>();
            if (await store.ClaimAsync(rollout.Id, _workerId, slots, options.Value.Lease, ct) is not { } claim)
            {
                return;
            }
            await scope.ServiceProvider.GetRequiredService<RolloutTenantMigration>().RunAsync(rollout, claim, parent, ct);
        }
    }
}
