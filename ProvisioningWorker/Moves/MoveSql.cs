using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.ProvisioningWorker.Moves;

/// <summary>
/// The server-side statements of a move, each idempotent. Publications, subscriptions and the marker table need the servers' admin
/// login (a subscription and a schema-wide publication are superuser-only in Postgres 15); everything a tenant role could be
/// affected by runs as the provisioner, as elsewhere. Every identifier is generated (see <see cref="MoveNames"/>).
/// </summary>
public sealed class MoveSql(ServerConnections connections)
{
    private static readonly string Marker = "public." + SqlIdentifier.Quote(MoveNames.MarkerTable);

    public async Task EnsureMarkerAsync(string server, string database, CancellationToken ct)
    {
        await using var connection = await connections.OpenAdminAsync(server, database, ct);
        await ServerAdmin.ExecuteAsync(connection, $"CREATE TABLE IF NOT EXISTS {Marker} (token uuid PRIMARY KEY)", ct);
    }

    public async Task DropMarkerAsync(string server, string database, CancellationToken ct)
    {
        await using var connection = await connections.OpenAdminAsync(server, database, ct);
        await ServerAdmin.ExecuteAsync(connection, $"DROP TABLE IF EXISTS {Marker}", ct);
    }

    /// <summary>Publishes every table of the tenant's schema (the migration history and the marker included).</summary>
    public async Task CreatePublicationAsync(string server, string database, string name, CancellationToken ct)
    {
        await using var connection = await connections.OpenAdminAsync(server, database, ct);
        if (!await ServerAdmin.ExistsAsync(connection, "SELECT 1 FROM pg_publication WHERE pubname = $1", name, ct))
        {
            await ServerAdmin.ExecuteAsync(connection, $"CREATE PUBLICATION {SqlIdentifier.Quote(name)} FOR TABLES IN SCHEMA public", ct);
        }
    }

    public async Task DropPublicationAsync(string server, string database, string name, CancellationToken ct)
    {
        await using var connection = await connections.OpenAdminAsync(server, database, ct);
        await ServerAdmin.ExecuteAsync(connection, $"DROP PUBLICATION IF EXISTS {SqlIdentifier.Quote(name)}", ct);
    }

    /// <summary>
    /// Subscribes the target database to the source's publication, copying the existing rows first. The target's migration
    /// history is emptied first: the copy brings the source's (the same rows), and a duplicate would stop the copy.
    /// </summary>
    public async Task CreateSubscriptionAsync(string target, string database, string source, string name, CancellationToken ct)
    {
        await using var connection = await connections.OpenAdminAsync(target, database, ct);
        if (await ServerAdmin.ExistsAsync(connection, "SELECT 1 FROM pg_subscription WHERE subname = $1", name, ct))
        {
            return;
        }
        await ServerAdmin.ExecuteAsync(connection, "TRUNCATE public.\"__EFMigrationsHistory\"", ct);
        await ServerAdmin.ExecuteAsync(connection,
            $"CREATE SUBSCRIPTION {SqlIdentifier.Quote(name)} CONNECTION {SqlIdentifier.ConfigLiteral(connections.LibpqAdmin(source, database))} "
            + $"PUBLICATION {SqlIdentifier.Quote(name)} WITH (copy_data = true)", ct);
    }

    /// <summary>
    /// Drops the subscriptions in a database (or only the one named <paramref name="only"/>) and their slots on the source. If the source cannot be reached, the subscription is detached from its
    /// slot first (and the slot dropped on the source by <see cref="DropSlotAsync"/> when it can be).
    /// </summary>
    public async Task DropSubscriptionAsync(string target, string database, CancellationToken ct, string? only = null)
    {
        await using var connection = await connections.OpenAdminAsync(target, "postgres", ct);
        // pg_subscription is shared: a database with none is not entered at all (a hibernated tenant's refuses connections, and
        // a delete of a hibernated tenant failed on it); one with some is opened for the drop and closed again.
        await using var probe = new NpgsqlCommand(
            "SELECT d.datallowconn FROM pg_database d WHERE d.datname = $1 AND EXISTS (SELECT 1 FROM pg_subscription s WHERE s.subdbid = d.oid"
            + " AND ($2::text IS NULL OR s.subname = $2))",
            connection);
        probe.Parameters.Add(new NpgsqlParameter { Value = database });
        probe.Parameters.Add(new NpgsqlParameter { Value = (object?)only ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        if (await probe.ExecuteScalarAsync(ct) is not bool open)
        {
            return;
        }
        var quotedDatabase = SqlIdentifier.Quote(database);
        if (!open)
        {
            await ServerAdmin.ExecuteAsync(connection, $"ALTER DATABASE {quotedDatabase} ALLOW_CONNECTIONS true", ct);
        }
        try
        {
            await DropSubscriptionsInsideAsync(target, database, only, ct);
        }
        finally
        {
            if (!open)
            {
                await ServerAdmin.ExecuteAsync(connection, $"ALTER DATABASE {quotedDatabase} ALLOW_CONNECTIONS false", CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Everything that keeps a database from being dropped by replication: the subscriptions inside it (a move's target, or a
    /// switched move's leftover in a database a restore has since replaced) and the slots of publications in it (a move's source).
    /// Their workers connect as a superuser, whom <c>DROP DATABASE … WITH (FORCE)</c> run by the provisioner may not end (42501),
    /// and Postgres refuses to drop a database with a subscription or an active slot at all (55006).
    /// </summary>
    public async Task DropReplicationOfAsync(string server, string database, CancellationToken ct)
    {
        await DropSubscriptionAsync(server, database, ct);
        await using var connection = await connections.OpenAdminAsync(server, "postgres", ct);
        await using var find = new NpgsqlCommand("SELECT slot_name::text FROM pg_replication_slots WHERE database = $1", connection);
        find.Parameters.Add(new NpgsqlParameter { Value = database });
        var slots = new List<string>();
        await using (var reader = await find.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                slots.Add(reader.GetString(0));
            }
        }
        foreach (var slot in slots)
        {
            await DropSlotAsync(server, slot, ct, endSession: true);
        }
    }

    private async Task DropSubscriptionsInsideAsync(string target, string database, string? only, CancellationToken ct)
    {
        await using var inside = await connections.OpenAdminAsync(target, database, ct);
        await using var find = new NpgsqlCommand("SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())", inside);
        var names = new List<string>();
        await using (var reader = await find.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                names.Add(reader.GetString(0));
            }
        }
        foreach (var name in names.Where(n => only is null || n == only))
        {
            await DropSubscriptionAsync(inside, name, ct);
        }
    }

    /// <summary>
    /// Drops one subscription from inside its database (which drops its slot on the publisher). If the publisher cannot be
    /// reached, the subscription is detached from its slot first (the slot is then the publisher side's to drop).
    /// </summary>
    public static async Task DropSubscriptionAsync(NpgsqlConnection inside, string name, CancellationToken ct)
    {
        var quoted = SqlIdentifier.Quote(name);
        try
        {
            await ServerAdmin.ExecuteAsync(inside, $"DROP SUBSCRIPTION IF EXISTS {quoted}", ct);
        }
        catch (PostgresException)
        {
            await ServerAdmin.ExecuteAsync(inside, $"ALTER SUBSCRIPTION {quoted} DISABLE", ct);
            await ServerAdmin.ExecuteAsync(inside, $"ALTER SUBSCRIPTION {quoted} SET (slot_name = NONE)", ct);
            await ServerAdmin.ExecuteAsync(inside, $"DROP SUBSCRIPTION {quoted}", ct);
        }
    }

    /// <summary>
    /// Drops a replication slot unless a walsender uses it; with <paramref name="endSession"/>, that walsender's session is ended
    /// first (a subscriber that went away without dropping its slot leaves one for a moment). True when no such slot is left.
    /// </summary>
    public async Task<bool> DropSlotAsync(string server, string name, CancellationToken ct, bool endSession = false)
    {
        await using var connection = await connections.OpenAdminAsync(server, "postgres", ct);
        if (endSession)
        {
            await using var end = new NpgsqlCommand(
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL", connection);
            end.Parameters.Add(new NpgsqlParameter { Value = name });
            await end.ExecuteNonQueryAsync(ct);
        }
        await using var drop = new NpgsqlCommand(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", connection);
        drop.Parameters.Add(new NpgsqlParameter { Value = name });
        await drop.ExecuteNonQueryAsync(ct);
        return !await ServerAdmin.ExistsAsync(connection, "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", name, ct);
    }

    /// <summary>Tables of the subscription still copying (not yet 'r', ready); -1 while the subscription lists none yet.</summary>
    public async Task<int> TablesNotReadyAsync(string target, string database, string name, CancellationToken ct)
    {
        await using var connection = await connections.OpenAdminAsync(target, database, ct);
        await using var command = new NpgsqlCommand("""
            SELECT CASE WHEN count(*) = 0 THEN -1 ELSE count(*) FILTER (WHERE r.srsubstate <> 'r') END::int
            FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.subname = $1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return (int)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Writes a fresh token into the source's marker table (as admin: the tenant's role may be locked out by now).</summary>
    public async Task<Guid> WriteMarkerAsync(string source, string database, CancellationToken ct)
    {
        var token = Guid.CreateVersion7();
        await using var connection = await connections.OpenAdminAsync(source, database, ct);
        await using var insert = new NpgsqlCommand($"INSERT INTO {Marker} (token) VALUES ($1)", connection);
        insert.Parameters.Add(new NpgsqlParameter { Value = token });
        await insert.ExecuteNonQueryAsync(ct);
        return token;
    }

    /// <summary>Polls the target for the token until it arrives (true) or <paramref name="deadline"/> passes (false).</summary>
    public async Task<bool> WaitForMarkerAsync(string target, string database, Guid token, DateTimeOffset deadline, TimeProvider clock,
        CancellationToken ct)
    {
        await using var connection = await connections.OpenAdminAsync(target, database, ct);
        await using var look = new NpgsqlCommand($"SELECT 1 FROM {Marker} WHERE token = $1", connection);
        look.Parameters.Add(new NpgsqlParameter { Value = token });
        while (true)
        {
            if (await look.ExecuteScalarAsync(ct) is not null)
            {
                return true;
            }
            if (clock.GetUtcNow() >= deadline)
            {
                return false;
            }
            await Task.Delay(5, ct);
        }
    }

    /// <summary>Sequences are not replicated: each target sequence is set to the source's position (identity columns included).</summary>
    public async Task SyncSequencesAsync(string source, string target, string database, CancellationToken ct)
    {
        var positions = new List<(string Schema, string Name, long Value)>();
        await using (var from = await connections.OpenAdminAsync(source, database, ct))
        await using (var read = new NpgsqlCommand(
            "SELECT schemaname, sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL", from))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                positions.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }
        if (positions.Count == 0)
        {
            return;
        }
        await using var to = await connections.OpenAdminAsync(target, database, ct);
        foreach (var (schema, name, value) in positions)
        {
            // The name is passed as a value (format('%I.%I')), never spliced: the tenant's role owns these sequences.
            await using var set = new NpgsqlCommand("SELECT setval(format('%I.%I', $1::text, $2::text)::regclass, $3)", to);
            set.Parameters.Add(new NpgsqlParameter { Value = schema });
            set.Parameters.Add(new NpgsqlParameter { Value = name });
            set.Parameters.Add(new NpgsqlParameter { Value = value });
            await set.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>
    /// Polls until no backend of the tenant's role in its database runs a statement or sits inside a transaction (true), or
    /// <paramref name="deadline"/> passes (false): in-flight requests finish before their sessions are ended.
    /// </summary>
    public Task<bool> WaitUntilIdleAsync(string server, string database, string role, DateTimeOffset deadline, TimeProvider clock,
        CancellationToken ct) =>
        PollUntilNoneAsync(server, "SELECT count(*)::int FROM pg_stat_activity WHERE datname = $1 AND usename = $2 AND state IS DISTINCT FROM 'idle'",
            [database, role], TimeSpan.FromMilliseconds(5), deadline, clock, ct);

    /// <summary>Waits until no session is left in <paramref name="database"/> (ended sessions take a moment to exit); false at the deadline.</summary>
    public Task<bool> WaitUntilGoneAsync(string server, string database, DateTimeOffset deadline, TimeProvider clock, CancellationToken ct) =>
        PollUntilNoneAsync(server, "SELECT count(*)::int FROM pg_stat_activity WHERE datname = $1", [database],
            TimeSpan.FromMilliseconds(20), deadline, clock, ct);

    /// <summary>Runs a count of sessions every <paramref name="every"/> until it is zero (true) or the deadline passes (false).</summary>
    private async Task<bool> PollUntilNoneAsync(string server, string count, string[] parameters, TimeSpan every, DateTimeOffset deadline,
        TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        await using var command = new NpgsqlCommand(count, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        while ((int)(await command.ExecuteScalarAsync(ct))! > 0)
        {
            if (clock.GetUtcNow() >= deadline)
            {
                return false;
            }
            await Task.Delay(every, clock, ct);
        }
        return true;
    }

    /// <summary>The newest migration in the tenant database on <paramref name="server"/> (its own history, as admin).</summary>
    public async Task<string?> AppliedAsync(string server, string database, CancellationToken ct)
    {
        await using var connection = await connections.OpenAdminAsync(server, database, ct);
        return await TenantHistory.AppliedAsync(connection, null, ct);
    }

    /// <summary>The tenant's role may no longer connect to the source, and its sessions there end (idle ones, by now).</summary>
    public async Task LockOutAsync(string server, string database, string role, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        await ServerAdmin.ExecuteAsync(connection, $"REVOKE CONNECT ON DATABASE {SqlIdentifier.Quote(database)} FROM {SqlIdentifier.Quote(role)}", ct);
        await using var terminate = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND usename = $2", connection);
        terminate.Parameters.Add(new NpgsqlParameter { Value = database });
        terminate.Parameters.Add(new NpgsqlParameter { Value = role });
        await terminate.ExecuteScalarAsync(ct);
    }

    /// <summary>Undoes <see cref="LockOutAsync"/>: the source serves the tenant again.</summary>
    public async Task LetInAsync(string server, string database, string role, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        if (await ServerAdmin.ExistsAsync(connection, "SELECT 1 FROM pg_database WHERE datname = $1", database, ct))
        {
            await ServerAdmin.ExecuteAsync(connection, $"GRANT CONNECT ON DATABASE {SqlIdentifier.Quote(database)} TO {SqlIdentifier.Quote(role)}", ct);
        }
    }

    /// <summary>Moves a database to another tablespace of its server (it must have no sessions: the caller closed it).</summary>
    public async Task SetTablespaceAsync(string server, string database, string tablespace, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        await ServerAdmin.ExecuteAsync(connection,
            $"ALTER DATABASE {SqlIdentifier.Quote(database)} SET TABLESPACE {SqlIdentifier.Quote(tablespace)}", ct);
    }
}
