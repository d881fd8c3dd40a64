using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Moves;

/// <summary>
/// The <see cref="OperationKind.Move"/> and <see cref="OperationKind.DropMoveSource"/> operations: carries out the tenant's open
/// move by its method, and after the grace drops the closed source (database and role) of a switched one.
/// </summary>
public sealed class MoveTenantHandler(MoveStore store, ServerAdmin admin, MoveSql sql, TenantWakeUp wakeUp, IServiceProvider services,
    TimeProvider clock, ILogger<MoveTenantHandler> logger)
{
    public async Task RunAsync(TenantOperation operation, CancellationToken ct)
    {
        var tenant = await store.TenantAsync(operation.TenantId, ct);
        var move = await store.OpenAsync(operation.TenantId, ct);
        if (tenant is null || move is null)
        {
            return; // nothing open: a duplicate operation, or the move ended meanwhile
        }
        if (tenant.Status is TenantStatus.Deleting or TenantStatus.Suspended or TenantStatus.Failed or TenantStatus.Provisioning)
        {
            // Suspended or deleted meanwhile (the cut-over's save would have failed on the changed row): no copy is left behind.
            if (move.Method == MoveMethod.Replication && tenant.Server != move.ToServer)
            {
                await RemoveTargetCopyAsync(tenant, move, ct);
            }
            await store.FailAsync(tenant.Id, $"the tenant is {tenant.Status.ToString().ToLowerInvariant()}", ct);
            return;
        }
        await wakeUp.WakeForAsync(tenant, "for a move", ct); // the copy needs its database open
        if (move.Method == MoveMethod.Tablespace)
        {
            await services.GetRequiredService<TablespaceMove>().RunAsync(tenant, move, ct);
        }
        else
        {
            await services.GetRequiredService<ReplicationMove>().RunAsync(tenant, move, ct);
        }
    }

    /// <summary>Retries exhausted: the source serves on (let in again if a cut-over had locked it), and the move is marked failed.</summary>
    public async Task GiveUpAsync(TenantOperation operation, string reason, CancellationToken ct)
    {
        var tenant = await store.TenantAsync(operation.TenantId, ct);
        var move = await store.OpenAsync(operation.TenantId, ct);
        if (tenant is not null && move is not null && tenant.Server == move.FromServer)
        {
            await sql.LetInAsync(move.FromServer, tenant.DatabaseName, tenant.RoleName, ct);
            if (move.Method == MoveMethod.Tablespace)
            {
                await admin.OpenDatabaseAsync(tenant.Server, tenant.DatabaseName, ct);
            }
            else
            {
                await RemoveTargetCopyAsync(tenant, move, ct);
            }
        }
        await store.FailAsync(operation.TenantId, reason, ct);
    }

    /// <summary>Best effort: the failure may be the target server itself; a later move (or the tenant's deletion) removes what is left.</summary>
    private async Task RemoveTargetCopyAsync(Tenant tenant, TenantMove move, CancellationToken ct)
    {
        try
        {
            await services.GetRequiredService<ReplicationMove>().CleanUpTargetAsync(tenant, move, ct);
            await admin.DropRoleAsync(move.ToServer, tenant.RoleName, ct);
        }
        catch (Npgsql.NpgsqlException e)
        {
            logger.LogWarning(e, "The failed move of {Tenant} left its copy on {Server}", tenant.Slug, move.ToServer);
        }
    }

    public async Task DropSourceAsync(TenantOperation operation, CancellationToken ct)
    {
        var tenant = await store.TenantAsync(operation.TenantId, ct);
        var move = await store.SwitchedAsync(operation.TenantId, ct);
        if (move is null)
        {
            return;
        }
        if (tenant is null)
        {
            // Deleted since: its deletion removed the kept source too (MoveLeftovers); only the bookkeeping ends.
        }
        else if (tenant.Server == move.FromServer)
        {
            // Never drop where the tenant is served from (it moved back since): only the bookkeeping ends.
            logger.LogWarning("Tenant {Tenant} lives on {Server} again; its old copy there is its data, not dropped", tenant.Slug, move.FromServer);
        }
        else
        {
            if (move.DropSourceAfter > clock.GetUtcNow())
            {
                throw new InvalidOperationException($"the grace of {tenant.Slug}'s source runs until {move.DropSourceAfter:O}");
            }
            // The database the move filled and the source it kept have the move's name for it: a restore since has given
            // the tenant a new database on the target (and keeps or has dropped the one the move filled).
            var database = move.DatabaseOf(tenant);
            // What the switch's tidy-up did, again: a worker that died right after the switch left the replication running in
            // the database the move filled (opened for the drop if closed).
            await sql.DropSubscriptionAsync(move.ToServer, database, ct);
            if (tenant.Server == move.ToServer && tenant.DatabaseName == database)
            {
                await admin.WhileOpenAsync(tenant.Server, database, tenant.Status == TenantStatus.Hibernated, async () =>
                {
                    await sql.DropMarkerAsync(tenant.Server, database, ct);
                    return true;
                }, ct);
            }
            await sql.DropSlotAsync(move.FromServer, MoveNames.Replication(move.Id), ct);
            await admin.DropDatabaseAsync(move.FromServer, database, ct);
            await admin.DropRoleAsync(move.FromServer, tenant.RoleName, ct);
        }
        await store.CompleteAsync(move, ct);
    }
}
