using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.AppHost;

/// <summary>One tenant server of the topology: its tiers and connection arithmetic.</summary>
public sealed record ServerSpec(string Name, TenantTier[] Tiers, int ReservedConnections, int Capacity = 5000);

/// <summary>
/// The Postgres servers tenants live on: the AppHost owns the topology and hands it to both services (section <c>Servers</c>).
/// Every server runs with <see cref="MaxConnections"/> and <c>wal_level=logical</c> (moves between servers replicate).
/// </summary>
public static class ServerTopology
{
    /// <summary>Each server's max_connections, in both infrastructure modes (a container's default of 100 would be too few).</summary>
    public const int MaxConnections = 200;

    /// <summary>
    /// Server settings for moves, in both infrastructure modes: logical replication, with room for a drain's concurrent moves
    /// (an apply worker and up to two table-sync workers each). <c>wal_retrieve_retry_interval</c> also paces how soon the
    /// subscriber starts its table-sync workers, so its default (5 s) makes every copy seconds slower.
    /// </summary>
    public static readonly string[] ReplicationSettings =
    [
        "wal_level=logical", "max_wal_senders=20", "max_replication_slots=20", "max_worker_processes=16",
        "max_logical_replication_workers=8", "wal_retrieve_retry_interval=200ms",
    ];

    /// <summary>
    /// The catalog's server keeps more for itself: the catalog pools (<see cref="CatalogPoolSize"/> per API replica and per worker)
    /// besides the worker's tenant work, administration and superuser slots.
    /// </summary>
    public static readonly ServerSpec[] Servers =
    [
        new(ResourceNames.Postgres, [TenantTier.Standard], ReservedConnections: 100),
        new(ResourceNames.PremiumPostgres, [TenantTier.Premium], ReservedConnections: 40),
    ];

    /// <summary>Most connections one process's catalog pool opens (Npgsql's default of 100 per process would pass any budget).</summary>
    public const int CatalogPoolSize = 20;

    /// <summary>Where a server's tablespaces are, as the server sees them: one folder per storage class below.</summary>
    public const string ContainerTablespaceRoot = "/var/lib/postgresql/tablespaces";
}
