using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tenancy.Servers;

/// <summary>
/// The Postgres servers tenants live on (section <c>Servers</c>), handed to both services by the AppHost, which owns the topology.
/// Their endpoints are <c>ConnectionStrings:{name}</c>; the catalog's <c>servers</c> table mirrors these and adds the operator's
/// state (open, draining, closed).
/// </summary>
public sealed class ServerOptions
{
    public const string Section = "Servers";

    /// <summary>The server that holds the catalog database (its logins are created there).</summary>
    public string Catalog { get; set; } = "postgres";

    /// <summary>Every tenant server by name (an Aspire resource name, so also its connection-string name).</summary>
    public Dictionary<string, ServerDefinition> Pool { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Number of tenant-api processes sharing each server's <see cref="ServerDefinition.ConnectionBudget"/>.</summary>
    public int ApiReplicas { get; set; } = 1;
}

public sealed class ServerDefinition
{
    /// <summary>Tiers whose tenants may be placed here.</summary>
    public List<TenantTier> Tiers { get; set; } = [];

    /// <summary>Most tenants placement puts here.</summary>
    public int Capacity { get; set; } = 5000;

    /// <summary>The server's <c>max_connections</c>.</summary>
    public int MaxConnections { get; set; } = 100;

    /// <summary>
    /// Connections kept for everything but the API's tenant pools: superuser slots, the worker (provisioning, migrations, moves),
    /// the catalog pools (on the catalog's server) and administration.
    /// </summary>
    public int ReservedConnections { get; set; } = 40;

    /// <summary>Where this server's tablespaces live, as the server sees the path (one folder per storage class under it).</summary>
    public string? TablespaceRoot { get; set; }

    /// <summary>Continuous archiving with pgBackRest, when the server has it (point-in-time restore needs it).</summary>
    public ServerArchive? Archive { get; set; }

    /// <summary>Tenant connections all API replicas together may hold on this server.</summary>
    public int ConnectionBudget => Math.Max(0, MaxConnections - ReservedConnections);
}

/// <summary>Where a server archives its WAL: pgBackRest's configuration file (repository, server path and port) and stanza.</summary>
public sealed class ServerArchive
{
    /// <summary>The backup store's container that holds every server's pgBackRest repository (a folder per server).</summary>
    public const string RepositoryContainer = "pgbackrest";

    /// <summary>
    /// pgBackRest reads an option from its environment too: the repository key (the store's account key) travels only there, to
    /// the servers' archive_command and to the worker's pgBackRest runs; never in a configuration file or argv.
    /// </summary>
    public const string RepositoryKeyVariable = "PGBACKREST_REPO1_AZURE_KEY";

    public string Config { get; set; } = "";
    public string Stanza { get; set; } = "";
}
