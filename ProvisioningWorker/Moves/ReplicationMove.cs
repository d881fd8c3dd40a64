using System.Diagnostics;
using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Credentials;

namespace TenantAspire.ProvisioningWorker.Moves;

/// <summary>
/// A tenant's move to another server, online, over logical replication. Copy: the tenant's role and an empty database at the
/// tenant's schema version on the target, a publication of the tenant's tables on the source, a subscription on the target that
/// copies the rows and then streams every change; the tenant is served from the source all along. Cut-over
/// (<see cref="ReplicationCutover"/>): requests held, last changes drained, sequences synced, route switched. After the grace the
/// source is dropped (<see cref="MoveTenantHandler.DropSourceAsync"/>). A failed or interrupted copy starts over from nothing:
/// the target is the mover's own until the switch.
/// </summary>
public sealed class ReplicationMove(
    MoveSql sql, MoveStore store, ServerAdmin admin, TenantMigrator migrator, CustomFields.CustomIndexes customIndexes, TenantCredentialProtector protector, TenantTablespaces tablespaces,
    ReplicationCutover cutover, FaultInjector faults, IOptions<MoveOptions> options, TimeProvider clock, ILogger<ReplicationMove> logger)
{
    public async Task RunAsync(Tenant tenant, TenantMove move, CancellationToken ct)
    {
        if (move.Phase == MovePhase.CuttingOver)
        {
            // A worker died mid cut-over: serve from the source again, then copy afresh (the target may have missed nothing, but
            // proving it costs as much as copying again).
            await sql.LetInAsync(move.FromServer, tenant.DatabaseName, tenant.RoleName, ct);
            await store.UndoCutoverAsync(tenant, move, ct);
        }
        await store.SetPhaseAsync(move, MovePhase.Copying, ct);
        using (ProvisioningTelemetry.StartStep("move copy", tenant.Slug))
        {
            await CleanUpTargetAsync(tenant, move, ct);
            await faults.ThrowIfInjectedAsync(tenant.Slug, MoveSteps.Copy, ct);
            await CopyAsync(tenant, move, ct);
        }
        using (ProvisioningTelemetry.StartStep("move catch-up", tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, MoveSteps.CatchUp, ct);
            await CatchUpAsync(tenant, move, ct);
        }
        using (ProvisioningTelemetry.StartStep("move cut-over", tenant.Slug))
        {
            await cutover.RunAsync(tenant, move, ct);
        }
    }

    private async Task CopyAsync(Tenant tenant, TenantMove move, CancellationToken ct)
    {
        var name = MoveNames.Replication(move.Id);
        // The same role and password on the target, owning a database in the tier's tablespace, at exactly the source's schema.
        await admin.EnsureRoleAsync(move.ToServer, tenant.RoleName, protector.Unprotect(tenant.ProtectedPassword!), ct);
        await admin.EnsureDatabaseAsync(move.ToServer, tenant.DatabaseName, tenant.RoleName, fromTemplate: false,
            tablespaces.For(move.ToServer, move.ToTier ?? tenant.Tier), ct);
        await admin.SecureDatabaseAsync(move.ToServer, tenant.DatabaseName, tenant.RoleName, ct);
        if (tenant.SchemaVersion is { } version)
        {
            await migrator.MigrateOnAsync(tenant, move.ToServer, version, ct);
            if (TenantAspire.Tenancy.Data.TenantMigrations.HasCustomFields(version))
            {
                await customIndexes.CopyAsync(tenant, move.FromServer, move.ToServer, ct); // per-tenant indexes are not in the schema
            }
        }
        await sql.EnsureMarkerAsync(move.FromServer, tenant.DatabaseName, ct);
        await sql.EnsureMarkerAsync(move.ToServer, tenant.DatabaseName, ct);
        await sql.CreatePublicationAsync(move.FromServer, tenant.DatabaseName, name, ct);
        await sql.CreateSubscriptionAsync(move.ToServer, tenant.DatabaseName, move.FromServer, name, ct);

        var deadline = clock.GetUtcNow() + options.Value.CopyTimeout;
        while (await sql.TablesNotReadyAsync(move.ToServer, tenant.DatabaseName, name, ct) != 0)
        {
            if (clock.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"the initial copy to {move.ToServer} took longer than {options.Value.CopyTimeout}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), clock, ct);
        }
    }

    /// <summary>Streams until a marker written now arrives within half the allowed pause: the lag a cut-over has to drain is small.</summary>
    private async Task CatchUpAsync(Tenant tenant, TenantMove move, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow() + options.Value.CopyTimeout;
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            var token = await sql.WriteMarkerAsync(move.FromServer, tenant.DatabaseName, ct);
            if (await sql.WaitForMarkerAsync(move.ToServer, tenant.DatabaseName, token, deadline, clock, ct)
                && Stopwatch.GetElapsedTime(started) < options.Value.MaxPause / 2)
            {
                return;
            }
            if (clock.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"the subscription on {move.ToServer} did not catch up within {options.Value.CopyTimeout}");
            }
            logger.LogInformation("Move of {Tenant}: the target lags {Lag:0} ms behind; waiting before the cut-over",
                tenant.Slug, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>
    /// Removes whatever an earlier attempt left: the subscription (and its slot), the target database and the publication. The
    /// target role stays (it is re-used, and a tenant's role owns nothing else there).
    /// </summary>
    public async Task CleanUpTargetAsync(Tenant tenant, TenantMove move, CancellationToken ct)
    {
        if (tenant.Server == move.ToServer)
        {
            // Never: the target is where the tenant is served from (a switched move); its database is the tenant's data.
            throw new InvalidOperationException($"tenant {tenant.Slug} already lives on {move.ToServer}; nothing there is the mover's to drop");
        }
        var name = MoveNames.Replication(move.Id);
        await sql.DropSubscriptionAsync(move.ToServer, tenant.DatabaseName, ct);
        await sql.DropSlotAsync(move.FromServer, name, ct);
        await admin.DropDatabaseAsync(move.ToServer, tenant.DatabaseName, ct);
        await sql.DropPublicationAsync(move.FromServer, tenant.DatabaseName, name, ct);
    }
}
