namespace TenantAspire.Tenancy.Catalog;

/// <summary>
/// Logins on the catalog database other than the server admin. The internet-facing API logs in as <see cref="Api"/>: it may read
/// tenants and the key ring, create and change tenants, queue operations and write audit events, and nothing else (no DDL, no
/// deleting rows, no writing keys, no other database). The worker creates and grants it at start-up (ServerAdmin).
/// </summary>
public static class CatalogLogins
{
    public const string Api = "catalog_api";

    /// <summary>Configuration key of the API login's password on the worker (which creates the login).</summary>
    public const string ApiPasswordKey = "Catalog:ApiRolePassword";

    /// <summary>
    /// The worker's catalog login: reads and writes every catalog row (tenants, operations, audit, key ring), no DDL and no other
    /// database. The catalog's migrations run as the server's admin instead (<c>ConnectionStrings:{server}</c>).
    /// </summary>
    public const string Worker = "catalog_worker";

    /// <summary>Configuration key of the worker login's password; when set, <c>ConnectionStrings:catalog</c> is that login.</summary>
    public const string WorkerPasswordKey = "Catalog:WorkerRolePassword";
}
