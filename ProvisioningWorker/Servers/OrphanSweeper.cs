using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Servers;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>The tenant had an operation running; the sweep comes back next time.</summary>
public sealed class TenantBusyException(string running) : Exception(running);

/// <summary>Something still uses what the sweep would remove; the sweep comes back next time.</summary>
public sealed class InUseException(string reason) : Exception(reason);

public sealed class OrphanSweepOptions
{
    public const string Section = "OrphanSweep";

    /// <summary>How often every server is compared with the catalog; zero turns the sweep off.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Reconciles the servers with the catalog after crashes. Every operation cleans up after itself, but a worker SIGKILLed between
/// creating something on a server and recording it (a subscription's slot, a deleted tenant's role on a server it left) leaves
/// it behind where no later operation looks. Every interval, under an
/// advisory lock, the sweep removes on every server, in this order: subscriptions and replication slots of moves that are no
/// longer open (a slot of a finished move keeps WAL for ever), tenant databases no tenant serves from and no move or restore
/// uses or keeps (a deleted tenant's, an aborted move's target copy, a finished restore's), and roles of deleted tenants. Names are parsed back
/// to ids and checked against the catalog, so nothing of a live tenant, an open move or a kept source is touched, and nothing
/// this catalog never knew (a server shared with another catalog keeps that catalog's tenants).
/// </summary>
public sealed class OrphanSweeper(
    IServiceScopeFactory scopes,
    ServerConnections connections,
    InlineOperations inline,
    ServerResolver servers,
    CatalogMigrationState migrations,
    IOptions<OrphanSweepOptions> options,
    TimeProvider clock,
    ILogger<OrphanSweeper> logger) : BackgroundService
{
    private const string MovePrefix = "move_";
    private const string RolePrefix = TenantNaming.RolePrefix;
    private const string DatabasePrefix = "tdb_";
    private const string RestorePrefix = "tdb_r";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Interval <= TimeSpan.Zero)
        {
            return;
        }
        await migrations.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Orphan sweep failed; retrying at the next interval");
            }
        }
    }

    /// <summary>One sweep of every server; returns what it removed.</summary>
    public async Task<IReadOnlyList<string>> SweepAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var removed = new List<string>();
        await AdvisoryLocks.TryHoldAsync(db, AdvisoryLocks.OrphanSweep, async () =>
        {
            foreach (var server in servers.Names)
            {
                removed.AddRange(await SweepServerAsync(db, scope.ServiceProvider, server, ct));
            }
        }, ct);
        foreach (var what in removed)
        {
            logger.LogWarning("Orphan sweep removed {What}", what);
        }
        return removed;
    }

    private async Task<List<string>> SweepServerAsync(CatalogDbContext db, IServiceProvider services, string server, CancellationToken ct)
    {
        var admin = services.GetRequiredService<ServerAdmin>();
        var moves = services.GetRequiredService<MoveSql>();
        var removed = new List<string>();
        await using var connection = await connections.OpenAdminAsync(server, "postgres", ct);

        // Subscriptions first: dropping one drops its slot on the publisher, and a live subscription would take its slot again.
        foreach (var (name, database) in await PairsAsync(connection,
                     "SELECT s.subname::text, d.datname::text FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE s.subname LIKE 'move\\_%'", ct))
        {
            if (await MoveIsOpenAsync(db, name, ct))
            {
                continue;
            }
            var owner = await db.Tenants.AsNoTracking().Where(t => t.Server == server && t.DatabaseName == database).Select(t => t.Id)
                .Cast<Guid?>().SingleOrDefaultAsync(ct);
            await TryAsync(removed, $"subscription {name} in {server}/{database}", async () =>
            {
                if (owner is null)
                {
                    // No tenant is served from it (a move's copy): opened for the drop if closed, closed again.
                    await moves.DropSubscriptionAsync(server, database, ct, name);
                    return;
                }
                // A tenant's live database, perhaps hibernated: the drop may open it for a moment, so it runs as the tenant's
                // operation (never beside a wake, which would find it closed again after).
                var busy = await inline.TryRunAsync(owner.Value, OperationKind.DropMoveSource,
                    (services, held) => services.GetRequiredService<MoveSql>().DropSubscriptionAsync(server, database, held, name), ct);
                if (busy is not null)
                {
                    throw new TenantBusyException(busy.Running);
                }
            });
        }

        foreach (var (slot, _) in await PairsAsync(connection,
                     "SELECT slot_name::text, '' FROM pg_replication_slots WHERE slot_name LIKE 'move\\_%'", ct))
        {
            if (await MoveIsOpenAsync(db, slot, ct))
            {
                continue;
            }
            await TryAsync(removed, $"replication slot {slot} on {server}", async () =>
            {
                if (!await moves.DropSlotAsync(server, slot, ct, endSession: true))
                {
                    throw new InUseException("a walsender took it again");
                }
            });
        }

        var databases = await PairsAsync(connection, "SELECT datname::text, '' FROM pg_database WHERE datname ~ '^tdb_r?[0-9a-f]{32}$'", ct);
        var keptAtStart = await KeptDatabasesAsync(db, server, ct);
        foreach (var (database, _) in databases)
        {
            if (keptAtStart.Contains(database))
            {
                // A tenant's live database, one a restore is using or keeps for its undo window, or one a move is filling or
                // keeps as its source (a restored tenant's database has the restore's name, and moves under it).
                continue;
            }
            // Only a database this catalog would drop is read again, just before the drop (a restore or move may have taken it
            // since the pass's snapshot): another catalog's databases on a shared server cost no second read.
            async Task DropUnlessKeptNowAsync(string why, bool force)
            {
                if (!(await KeptDatabasesAsync(db, server, ct)).Contains(database))
                {
                    await DropAsync(admin, removed, server, database, why, force, ct);
                }
            }
            if (database.StartsWith(RestorePrefix, StringComparison.Ordinal))
            {
                // A restore's database no tenant serves and no restore keeps: a restore or an undo that ended (or failed) while
                // its worker died before the drop. Ours only if this catalog has that restore.
                var restoreId = Guid.ParseExact(database[RestorePrefix.Length..], "N");
                if (await db.Restores.AnyAsync(r => r.Id == restoreId, ct))
                {
                    await DropUnlessKeptNowAsync("a restore left", force: false);
                }
                continue;
            }
            var tenantId = Guid.ParseExact(database[DatabasePrefix.Length..], "N");
            if (!await db.Tenants.AnyAsync(t => t.Id == tenantId, ct))
            {
                // Its tenant is gone (the deletion drops the database before the row; a kill between them leaves this).
                if (await WasOursAsync(db, tenantId, ct))
                {
                    await DropUnlessKeptNowAsync("of a deleted tenant", force: true);
                }
            }
            else if (!await db.Moves.AnyAsync(m => m.TenantId == tenantId
                         && (TenantMove.OpenPhases.Contains(m.Phase) || m.Phase == MovePhase.Switched), ct))
            {
                // A live tenant's copy it does not serve from, with no move open or keeping its source: an aborted or failed
                // move's target.
                await DropUnlessKeptNowAsync("a copy a move left", force: false);
            }
        }

        var roles = await PairsAsync(connection, "SELECT rolname::text, '' FROM pg_roles WHERE rolname LIKE 'trole\\_%'", ct);
        var liveAtStart = (await db.Tenants.AsNoTracking().Select(t => t.Id).ToListAsync(ct)).ToHashSet();
        foreach (var (role, _) in roles)
        {
            if (!Guid.TryParseExact(role[RolePrefix.Length..], "N", out var tenantId) || liveAtStart.Contains(tenantId)
                || await db.Tenants.AnyAsync(t => t.Id == tenantId, ct)
                || !await WasOursAsync(db, tenantId, ct))
            {
                continue;
            }
            // A role that still owns a database (a copy the deletion's own clean-up has not reached yet) refuses: left for that.
            await TryAsync(removed, $"role {role} of a deleted tenant on {server}", () => admin.DropRoleAsync(server, role, ct));
        }
        return removed;
    }

    /// <summary>
    /// Every database of <paramref name="server"/> that a tenant serves or a restore or move uses or keeps, read in one snapshot:
    /// a swap moves a database from "the open restore's" to "the tenant's" in one transaction, so separate reads taken on either
    /// side of it (the CI saw a sibling's freshly swapped database dropped) could each say "not mine". Read once per server and
    /// pass, not per database: a read per database cost a catalog transaction per live tenant and pass (thousands a minute for a
    /// large fleet; hundreds a second in the test stacks, whose sweep runs every 2 s).
    /// </summary>
    private static Task<HashSet<string>> KeptDatabasesAsync(CatalogDbContext db, string server, CancellationToken ct) =>
        db.InTransactionAsync(async token =>
        {
            var kept = (await db.Tenants.AsNoTracking().Where(t => t.Server == server).Select(t => t.DatabaseName).ToListAsync(token))
                .ToHashSet(StringComparer.Ordinal);
            foreach (var restore in await db.Restores.AsNoTracking()
                         .Where(r => r.Server == server && (TenantRestore.OpenPhases.Contains(r.Phase) || r.Phase == RestorePhase.Swapped))
                         .Select(r => new { r.NewDatabase, r.PreviousDatabase }).ToListAsync(token))
            {
                kept.Add(restore.NewDatabase);
                if (restore.PreviousDatabase is { } previous)
                {
                    kept.Add(previous);
                }
            }
            kept.UnionWith(await db.Moves.AsNoTracking()
                .Where(m => (m.FromServer == server || m.ToServer == server) && m.DatabaseName != null
                    && (TenantMove.OpenPhases.Contains(m.Phase) || m.Phase == MovePhase.Switched))
                .Select(m => m.DatabaseName!).ToListAsync(token));
            return kept;
        }, ct, System.Data.IsolationLevel.RepeatableRead);

    /// <summary>
    /// Drops a database. Without FORCE anyone still connected (a move or a restore that just began) makes it wait for the next
    /// sweep; FORCE only for a deleted tenant's, which nobody may use.
    /// </summary>
    private Task DropAsync(ServerAdmin admin, List<string> removed, string server, string database, string why, bool force, CancellationToken ct) =>
        TryAsync(removed, $"database {server}/{database}, {why}", () => admin.DropDatabaseAsync(server, database, ct, force));

    /// <summary>One removal; a refusal (in use, closed database, dependent objects) is logged and left for the next sweep.</summary>
    private async Task TryAsync(List<string> removed, string what, Func<Task> remove)
    {
        try
        {
            await remove();
            removed.Add(what);
        }
        catch (PostgresException e)
        {
            logger.LogInformation("Orphan sweep could not remove {What} yet ({State}: {Message}); the next sweep tries again", what, e.SqlState, e.MessageText);
        }
        catch (TenantBusyException e)
        {
            logger.LogInformation("Orphan sweep left {What} for the next sweep: the tenant runs {Running}", what, e.Message);
        }
        catch (InUseException e)
        {
            logger.LogInformation("Orphan sweep left {What} for the next sweep: {Reason}", what, e.Message);
        }
    }

    /// <summary>
    /// False only for a move of this catalog that is no longer open. A name this catalog has no move for is left alone: a server
    /// may be shared with another catalog (the tests' extra hosts do that), and its moves are not ours to judge.
    /// </summary>
    private static async Task<bool> MoveIsOpenAsync(CatalogDbContext db, string name, CancellationToken ct) =>
        !name.StartsWith(MovePrefix, StringComparison.Ordinal) || !Guid.TryParseExact(name[MovePrefix.Length..], "N", out var moveId)
        || !await db.Moves.AnyAsync(m => m.Id == moveId && !TenantMove.OpenPhases.Contains(m.Phase), ct);

    /// <summary>A tenant with no row is ours only if this catalog's audit trail knows it (the trail outlives the deletion).</summary>
    private static Task<bool> WasOursAsync(CatalogDbContext db, Guid tenantId, CancellationToken ct) =>
        db.AuditEvents.AnyAsync(e => e.TenantId == tenantId, ct);

    private static async Task<List<(string, string)>> PairsAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<(string, string)>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add((reader.GetString(0), reader.GetString(1)));
        }
        return rows;
    }
}
