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
