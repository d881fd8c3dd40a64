using System.Diagnostics;
using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Moves;

/// <summary>
/// The short pause of a move between servers. The route says "moving" (every API replica holds the tenant's new requests); once
/// in-flight statements on the source are done the tenant's role is locked out of it; a marker written after that is awaited on
/// the target (so every acknowledged write is there), the schema versions are compared, sequences are synced, and the route
/// switches in one catalog transaction. Held requests then resume on the target. Past <see cref="MoveOptions.MaxPause"/> at any
/// point before the switch, the cut-over aborts: the source lets the tenant in again and serves on.
/// </summary>
public sealed class ReplicationCutover(
    MoveSql sql, MoveStore store, ServerAdmin admin, FaultInjector faults, IOptions<MoveOptions> options, TimeProvider clock,
    IServiceProvider services, ILogger<ReplicationCutover> logger)
{
    public async Task RunAsync(Tenant tenant, TenantMove move, CancellationToken ct)
    {
        var o = options.Value;
        await store.BeginCutoverAsync(tenant, move, ct);
        var started = Stopwatch.GetTimestamp();
        var deadline = clock.GetUtcNow() + o.MaxPause;
        string? failure;
        try
        {
            failure = await DrainAsync(tenant, move, deadline, ct);
        }
        catch (Exception e) when (e is not (OperationCanceledException or LeaseLostException))
        {
            failure = "cut-over failed: " + Failures.Describe(e);
        }
        var pause = Stopwatch.GetElapsedTime(started);
        if (failure is null && pause > o.MaxPause)
        {
            failure = $"the cut-over took {pause.TotalMilliseconds:0} ms, over Moves:MaxPause ({o.MaxPause.TotalMilliseconds:0} ms)";
        }
        if (failure is not null)
        {
            await AbortAsync(tenant, move, failure, pause, ct);
            return;
        }
        await store.SwitchAsync(tenant, move, pause, ct);
        logger.LogInformation("Moved {Tenant} from {From} to {To}; requests held {Pause:0} ms",
            tenant.Slug, move.FromServer, move.ToServer, pause.TotalMilliseconds);
        await FinishAsync(tenant, move, ct);
    }

    /// <returns>Why the cut-over cannot switch, or null when the target has every acknowledged write.</returns>
    private async Task<string?> DrainAsync(Tenant tenant, TenantMove move, DateTimeOffset deadline, CancellationToken ct)
    {
        // Replicas drop the cached route through the backplane; meanwhile in-flight requests on the source finish.
        await Task.Delay(options.Value.PropagationDelay, clock, ct);
        if (!await sql.WaitUntilIdleAsync(move.FromServer, tenant.DatabaseName, tenant.RoleName, deadline, clock, ct))
        {
            return "the tenant's statements on the source did not finish within Moves:MaxPause";
        }
        await sql.LockOutAsync(move.FromServer, tenant.DatabaseName, tenant.RoleName, ct);
        await faults.ThrowIfInjectedAsync(tenant.Slug, MoveSteps.Cutover, ct);

        var token = await sql.WriteMarkerAsync(move.FromServer, tenant.DatabaseName, ct);
        if (!await sql.WaitForMarkerAsync(move.ToServer, tenant.DatabaseName, token, deadline, clock, ct))
        {
            return "the target did not catch up within Moves:MaxPause";
        }
        var source = await sql.AppliedAsync(move.FromServer, tenant.DatabaseName, ct);
        var target = await sql.AppliedAsync(move.ToServer, tenant.DatabaseName, ct);
        if (!string.Equals(source, target, StringComparison.Ordinal))
        {
            return $"the source was migrated during the move ({target} → {source}); ask for the move again";
        }
        await sql.SyncSequencesAsync(move.FromServer, move.ToServer, tenant.DatabaseName, ct);
        return null;
    }

    private async Task AbortAsync(Tenant tenant, TenantMove move, string reason, TimeSpan pause, CancellationToken ct)
    {
        await sql.LetInAsync(move.FromServer, tenant.DatabaseName, tenant.RoleName, ct);
        await store.AbortAsync(tenant, move, reason, pause, ct);
        logger.LogWarning("Move of {Tenant} to {To} aborted after {Pause:0} ms: {Reason}; the source serves on",
            tenant.Slug, move.ToServer, pause.TotalMilliseconds, reason);
        try
        {
            await services.GetRequiredService<ReplicationMove>().CleanUpTargetAsync(tenant, move, ct);
            await admin.DropRoleAsync(move.ToServer, tenant.RoleName, ct);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException)
        {
            logger.LogWarning(e, "Clean-up of the aborted move of {Tenant} on {To} failed; the next move starts with it", tenant.Slug, move.ToServer);
        }
    }

    /// <summary>After the switch: the replication is removed, the marker dropped from the target, the source closed for the grace.</summary>
    private async Task FinishAsync(Tenant tenant, TenantMove move, CancellationToken ct)
    {
        try
        {
            await sql.DropSubscriptionAsync(move.ToServer, tenant.DatabaseName, ct);
            await sql.DropPublicationAsync(move.FromServer, tenant.DatabaseName, MoveNames.Replication(move.Id), ct);
            await sql.DropMarkerAsync(move.ToServer, tenant.DatabaseName, ct);
            await admin.CloseDatabaseAsync(move.FromServer, tenant.DatabaseName, ct);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException)
        {
            // Switched already: the tenant is served from the target. The source's drop removes what is left there.
            logger.LogWarning(e, "Tidying up after the move of {Tenant} failed; the source's drop finishes it", tenant.Slug);
        }
    }
}
