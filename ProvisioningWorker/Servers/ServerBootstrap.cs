using Npgsql;
using TenantAspire.Tenancy;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>
/// Readies every configured server at worker start: the provisioning roles and shared-database lockdown
/// (<see cref="ServerAdmin.BootstrapAsync"/>), a tablespace per storage class, the template and spares of the release before
/// per-catalog names dropped (<see cref="ServerAdmin.DropUnscopedLeftoversAsync"/>), and the API's login (on the catalog's server it
/// also gets its catalog grants; on every server it may only connect to the maintenance database, where the registry watches
/// backends leave). Then the catalog's <c>servers</c> rows are written from the topology, keeping the operator's state.
/// </summary>
public sealed class ServerBootstrap(
    ServerAdmin admin, ServerConnections connections, ServerResolver servers, CatalogApiLogin apiLogin, CatalogDbContext db,
    CatalogScopedNames names, IConfiguration configuration, TimeProvider clock, ILogger<ServerBootstrap> logger)
{
    public async Task RunAsync(CancellationToken ct)
    {
        var catalogDatabase = names.CatalogDatabase;
        var apiPassword = configuration[CatalogLogins.ApiPasswordKey];
        foreach (var server in servers.Names)
        {
            var isCatalog = server == servers.Options.Catalog;
            await admin.BootstrapAsync(server, isCatalog ? catalogDatabase : null, ct);
            await EnsureTablespacesAsync(server, ct);
            await admin.DropUnscopedLeftoversAsync(server, ct);
            if (apiPassword is not { Length: > 0 })
            {
                continue;
            }
            if (isCatalog)
            {
                await apiLogin.EnsureAsync(server, catalogDatabase, apiPassword, ct);
            }
            await apiLogin.EnsureServerAccessAsync(server, apiPassword, ct);
        }
        if (apiPassword is not { Length: > 0 })
        {
            logger.LogWarning("{Key} is not set: no least-privilege login for the API was created", CatalogLogins.ApiPasswordKey);
        }
        await SyncCatalogAsync(ct);
    }

    /// <summary>
    /// One tablespace per storage class under the server's TablespaceRoot (the folders exist: the AppHost creates them for local
    /// servers, volumes for containers). Without a root, tenants live in the default tablespace (and tier changes within the
    /// server are catalog-only).
    /// </summary>
    private async Task EnsureTablespacesAsync(string server, CancellationToken ct)
    {
        if (servers.Definition(server).TablespaceRoot is not { Length: > 0 } root)
        {
            return;
        }
        await using var connection = connections.OpenSuperuser(server, "postgres");
        await connection.OpenAsync(ct);
        foreach (var storageClass in StorageClasses.All)
        {
            var tablespace = StorageClasses.Tablespace(storageClass);
            if (!await ServerAdmin.ExistsAsync(connection, "SELECT 1 FROM pg_tablespace WHERE spcname = $1", tablespace, ct))
            {
                try
                {
                    await ServerAdmin.ExecuteAsync(connection, $"CREATE TABLESPACE {SqlIdentifier.Quote(tablespace)} LOCATION "
                        + SqlIdentifier.ConfigLiteral(Path.Combine(root, storageClass)), ct);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateObject)
                {
                    // another worker created it meanwhile
                }
            }
            // The provisioner creates and moves tenant databases into it.
            await ServerAdmin.ExecuteAsync(connection,
                $"GRANT CREATE ON TABLESPACE {SqlIdentifier.Quote(tablespace)} TO {SqlIdentifier.Quote(TenantNaming.ProvisionerRole)}", ct);
        }
    }

    /// <summary>Topology into <c>servers</c>: tiers, capacity and budget from the AppHost; state stays the operator's.</summary>
    private async Task SyncCatalogAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var rows = await db.Servers.ToDictionaryAsync(s => s.Name, StringComparer.Ordinal, ct);
        foreach (var name in servers.Names)
        {
            var definition = servers.Definition(name);
            if (!rows.TryGetValue(name, out var row))
            {
                row = new DatabaseServer { Name = name, State = ServerState.Open };
                db.Servers.Add(row);
            }
            row.Tiers = [.. definition.Tiers.Select(t => t.ToString())];
            row.Capacity = definition.Capacity;
            row.ConnectionBudget = definition.ConnectionBudget;
            row.UpdatedAt = now;
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // a sibling worker inserted the same rows at the same moment: its values are the same
        }
    }
}
