using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>Idempotent server-level DDL for tenant databases and roles. Every identifier goes through <see cref="SqlIdentifier"/>.</summary>
public sealed class ServerAdmin(ServerConnections connections, Moves.MoveSql replication, CatalogScopedNames names)
{
    /// <summary>
    /// One-time, as superuser: the provisioner and template-owner roles, and no PUBLIC CONNECT on shared databases (the catalog's
    /// too, on the server that holds it).
    /// </summary>
    public async Task BootstrapAsync(string server, string? catalogDatabase, CancellationToken ct)
    {
        await using var connection = connections.OpenSuperuser(server, "postgres");
        await connection.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Serialises concurrent workers starting together.
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({AdvisoryLocks.ServerBootstrap})", ct);
        foreach (var (role, attributes) in new[]
                 {
                     (TenantNaming.ProvisionerRole, "NOLOGIN CREATEDB CREATEROLE"),
                     (TenantNaming.TemplateOwnerRole, "NOLOGIN"),
                 })
        {
            if (!await ExistsAsync(connection, "SELECT 1 FROM pg_roles WHERE rolname = $1", role, ct))
            {
                await ExecuteAsync(connection, $"CREATE ROLE {SqlIdentifier.Quote(role)} {attributes}", ct);
            }
        }
        var provisioner = SqlIdentifier.Quote(TenantNaming.ProvisionerRole);
        await ExecuteAsync(connection, $"GRANT {SqlIdentifier.Quote(TenantNaming.TemplateOwnerRole)} TO {provisioner}", ct);
        await ExecuteAsync(connection, $"GRANT pg_signal_backend TO {provisioner}", ct);
        // template1 too: a tenant role must reach no database but its own (CREATE DATABASE copies template1 without connecting).
        foreach (var shared in new[] { "postgres", "template1", catalogDatabase }.OfType<string>())
        {
            await ExecuteAsync(connection, $"REVOKE CONNECT, TEMPORARY ON DATABASE {SqlIdentifier.Quote(shared)} FROM PUBLIC", ct);
        }
        await tx.CommitAsync(ct);
    }

    public async Task EnsureRoleAsync(string server, string role, string password, CancellationToken ct)
    {
        await using var connection = await EnsureLoginAsync(server, role, password, ct);
        // The provisioner needs the tenant role's privileges to own-transfer objects and drop the database later.
        await ExecuteAsync(connection, $"GRANT {SqlIdentifier.Quote(role)} TO {SqlIdentifier.Quote(TenantNaming.ProvisionerRole)}", ct);
    }

    /// <summary>
    /// A login role with this password, created or (rerun after a crash, or a rotated password) altered, as the provisioner: its
    /// session keeps the statement out of traces and the server log. Returns that open session.
    /// </summary>
    public async Task<NpgsqlConnection> EnsureLoginAsync(string server, string role, string password, CancellationToken ct)
    {
        var connection = await connections.OpenProvisionerAsync(server, ct);
        // Defaults: NOSUPERUSER NOCREATEDB NOCREATEROLE. INHERIT stays on: owning the database works through pg_database_owner.
        var verb = await ExistsAsync(connection, "SELECT 1 FROM pg_roles WHERE rolname = $1", role, ct) ? "ALTER" : "CREATE";
        await ExecuteAsync(connection, $"{verb} ROLE {SqlIdentifier.Quote(role)} LOGIN PASSWORD {SqlIdentifier.SecretLiteral(password)}", ct);
        return connection;
    }

    /// <returns>true when created from the template, false when created empty (the migrate step fills it).</returns>
    public async Task<bool> EnsureDatabaseAsync(string server, string database, string ownerRole, bool fromTemplate, string? tablespace,
        CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        if (await ExistsAsync(connection, "SELECT 1 FROM pg_database WHERE datname = $1", database, ct))
        {
            return fromTemplate;
        }
        var template = fromTemplate ? $" TEMPLATE {SqlIdentifier.Quote(names.TemplateDatabase)}" : string.Empty;
        try
        {
            await ExecuteAsync(connection,
                $"CREATE DATABASE {SqlIdentifier.Quote(database)} OWNER {SqlIdentifier.Quote(ownerRole)}{template}{TenantTablespaces.Clause(tablespace)}", ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // another attempt won the race: same end state
        }
        return fromTemplate;
    }

    /// <summary>
    /// An empty database (from template0: no template objects, a restore brings its own) owned by <paramref name="ownerRole"/>, which
    /// alone may connect. Used for restores and drills; a leftover of the same name is the caller's to drop first.
    /// </summary>
    public async Task CreateEmptyDatabaseAsync(string server, string database, string ownerRole, string? tablespace, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        var db = SqlIdentifier.Quote(database);
        var owner = SqlIdentifier.Quote(ownerRole);
        await ExecuteAsync(connection, $"CREATE DATABASE {db} OWNER {owner} TEMPLATE template0{TenantTablespaces.Clause(tablespace)}", ct);
        await ExecuteAsync(connection, $"REVOKE ALL ON DATABASE {db} FROM PUBLIC", ct);
        await ExecuteAsync(connection, $"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {owner}", ct);
    }

    /// <summary>
    /// Takes a spare database cloned ahead of time (<see cref="SpareDatabasePool"/>): a rename is milliseconds where a clone is a few
    /// hundred here. Ownership and grants are set by <see cref="SecureDatabaseAsync"/>, so a crash right after the rename is harmless.
    /// </summary>
    public async Task<bool> TryClaimSpareAsync(string server, string database, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        if (await ExistsAsync(connection, "SELECT 1 FROM pg_database WHERE datname = $1", database, ct))
        {
            return true;
        }
        foreach (var spare in await SparesAsync(connection, names, ct))
        {
            try
            {
                await ExecuteAsync(connection, $"ALTER DATABASE {SqlIdentifier.Quote(spare)} RENAME TO {SqlIdentifier.Quote(database)}", ct);
                return true;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.ObjectInUse)
            {
                // another worker took it, or it is still being created: try the next one
            }
        }
        return false;
    }

    /// <summary>The catalog's ready spares on the server of <paramref name="connection"/> (never another catalog's).</summary>
    internal static Task<List<string>> SparesAsync(NpgsqlConnection connection, CatalogScopedNames names, CancellationToken ct) =>
        DatabasesLikeAsync(connection, names.SparePrefix, ct);

    /// <summary>
    /// Drops the template and spares named before each catalog had its own (<see cref="CatalogScopedNames"/>): <c>tenant_template</c>,
    /// <c>tdb_spare_{id}</c> and <c>tdb_prep_{id}</c>. No worker of this release uses them; a worker of the release before still
    /// running (a rolling upgrade) makes them again if it needs them. One in use is left for the next start.
    /// </summary>
    public async Task DropUnscopedLeftoversAsync(string server, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        var leftovers = new List<string>();
        await using (var list = new NpgsqlCommand(
                         "SELECT datname FROM pg_database WHERE datname = 'tenant_template' OR datname ~ '^tdb_(spare|prep)_[0-9a-f]{32}$'", connection))
        await using (var reader = await list.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                leftovers.Add(reader.GetString(0));
            }
        }
        foreach (var database in leftovers)
        {
            try
            {
                await ExecuteAsync(connection, $"DROP DATABASE IF EXISTS {SqlIdentifier.Quote(database)}", ct);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.ObjectInUse or PostgresErrorCodes.InsufficientPrivilege)
            {
                // in use by a worker of the release before, or not the provisioner's: the next start tries again
            }
        }
    }

    /// <summary>Drops, on each of <paramref name="servers"/>, every database whose name starts with <paramref name="prefix"/> (a drill's leftovers).</summary>
    public async Task DropDatabasesLikeAsync(IEnumerable<string> servers, string prefix, CancellationToken ct)
    {
        foreach (var server in servers)
        {
            await using var connection = await connections.OpenProvisionerAsync(server, ct);
            foreach (var database in await DatabasesLikeAsync(connection, prefix, ct))
            {
                await DropDatabaseAsync(server, database, ct);
            }
        }
    }

    /// <summary>Databases whose name starts with <paramref name="prefix"/> (a constant, with LIKE's wildcards escaped).</summary>
    internal static async Task<List<string>> DatabasesLikeAsync(NpgsqlConnection connection, string prefix, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT datname FROM pg_database WHERE datname LIKE $1 AND datallowconn ORDER BY datname", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = prefix.Replace("_", "\\_", StringComparison.Ordinal) + "%" });
        var spares = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            spares.Add(reader.GetString(0));
        }
        return spares;
    }

    /// <summary>Only the tenant's role may connect; it owns the database and every object cloned from the template.</summary>
    /// <returns>The newest migration already applied in the database (null when it has none), read on the same connection.</returns>
    public async Task<string?> SecureDatabaseAsync(string server, string database, string role, CancellationToken ct)
    {
        await using var session = await connections.OpenProvisionerInAsync(server, database, ct);
        var connection = session.Connection;
        var db = SqlIdentifier.Quote(database);
        var tenant = SqlIdentifier.Quote(role);
        var templateOwner = SqlIdentifier.Quote(TenantNaming.TemplateOwnerRole);
        await ExecuteAsync(connection, $"ALTER DATABASE {db} OWNER TO {tenant}", ct); // a claimed spare belongs to the provisioner
        await ExecuteAsync(connection, $"REVOKE ALL ON DATABASE {db} FROM PUBLIC", ct);
        await ExecuteAsync(connection, $"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {tenant}", ct);
        await ExecuteAsync(connection, $"REASSIGN OWNED BY {templateOwner} TO {tenant}", ct);
        await ExecuteAsync(connection, $"DROP OWNED BY {templateOwner}", ct);
        return await Rollouts.TenantHistory.AppliedAsync(connection, null, ct);
    }

    public async Task DropDatabaseAsync(string server, string database, CancellationToken ct, bool force = true)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        if (!force)
        {
            // Anyone connected (a move or a restore that has just begun using it) makes this refuse with 55006: the caller waits.
            await ExecuteAsync(connection, $"DROP DATABASE IF EXISTS {SqlIdentifier.Quote(database)}", ct);
            return;
        }
        // A database that is dropped for good takes its replication with it (a move's leftover subscription or slot would
        // refuse the drop, or hold a superuser session in it that the provisioner may not end).
        await replication.DropReplicationOfAsync(server, database, ct);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ExecuteAsync(connection, $"DROP DATABASE IF EXISTS {SqlIdentifier.Quote(database)} WITH (FORCE)", ct);
                return;
            }
            catch (PostgresException e) when (attempt < 100 && e.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse)
            {
                // Our own admin sessions in that database and the replication workers just stopped exit a moment after they
                // close, and the provisioner may not terminate a superuser's backend: wait for them to go (up to 10 s: a
                // loaded two-core machine has taken seconds).
                await Task.Delay(100, ct);
            }
        }
    }

    /// <summary>
    /// Hibernation: no new sessions (<c>ALLOW_CONNECTIONS false</c>) and the tenant's open ones ended, so a hibernated tenant holds
    /// no backend and no memory on the server; its data stays where it is. The provisioner may do both: it is a member of the
    /// owning tenant role and has pg_signal_backend.
    /// </summary>
    public async Task CloseDatabaseAsync(string server, string database, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        await ExecuteAsync(connection, $"ALTER DATABASE {SqlIdentifier.Quote(database)} ALLOW_CONNECTIONS false", ct);
        // The worker's own admin sessions there (a backup's pg_dump, a move's copy) are not the tenant's and end by themselves;
        // the provisioner may not end a superuser's session anyway.
        await using var terminate = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(a.pid)) FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid "
            + "WHERE a.datname = $1 AND a.pid <> pg_backend_pid() AND NOT r.rolsuper", connection);
        terminate.Parameters.Add(new NpgsqlParameter { Value = database });
        await terminate.ExecuteScalarAsync(ct);
    }

    /// <summary>Waking: the tenant's role may connect again.</summary>
    /// <summary>
    /// The worker's own work in a database that may be closed (a hibernated tenant's: a dump, a move's tidy-up): opened for it and
    /// closed again after. The tenant's requests are held by its status meanwhile, so no one else gets in.
    /// </summary>
    public async Task<T> WhileOpenAsync<T>(string server, string database, bool closed, Func<Task<T>> work, CancellationToken ct)
    {
        if (!closed)
        {
            return await work();
        }
        await OpenDatabaseAsync(server, database, ct);
        try
        {
            return await work();
        }
        finally
        {
            await CloseDatabaseAsync(server, database, CancellationToken.None);
        }
    }

    public async Task OpenDatabaseAsync(string server, string database, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        await ExecuteAsync(connection, $"ALTER DATABASE {SqlIdentifier.Quote(database)} ALLOW_CONNECTIONS true", ct);
    }

    public async Task DropRoleAsync(string server, string role, CancellationToken ct)
    {
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        await ExecuteAsync(connection, $"DROP ROLE IF EXISTS {SqlIdentifier.Quote(role)}", ct);
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    internal static async Task<bool> ExistsAsync(NpgsqlConnection connection, string sql, string name, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return await command.ExecuteScalarAsync(ct) is not null;
    }
}
