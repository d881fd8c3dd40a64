namespace TenantAspire.AppHost;

/// <summary>The AppHost's resource names (also the connection-string names the services read), in one place.</summary>
public static class ResourceNames
{
    public const string Postgres = "postgres";

    /// <summary>The second tenant server (premium tier by default).</summary>
    public const string PremiumPostgres = "postgres-premium";
    public const string Catalog = "catalog";
    public const string Redis = "redis";

    /// <summary>The backup store (Azure Blob API; Azurite here).</summary>
    public const string Blobs = "blobs";
    public const string Worker = "provisioning-worker";
    public const string Api = "tenant-api";
}
