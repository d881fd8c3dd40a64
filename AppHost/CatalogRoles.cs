using Aspire.Hosting.ApplicationModel;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.AppHost;

/// <summary>
/// How the services reach the catalog: each as its own least-privilege login, never as the server's superuser. The API as
/// <see cref="CatalogLogins.Api"/> (created and granted by the worker's bootstrap); the worker as <see cref="CatalogLogins.Worker"/>
/// (rows only, no DDL; created by the worker itself, with the server's admin login it needs anyway for tenant databases and roles,
/// which also runs the catalog migrations). The worker gets both passwords to create the logins; the API gets only its own.
/// </summary>
public static class CatalogRoles
{
    public const string ApiPasswordParameter = "catalog-api-password";
    public const string WorkerPasswordParameter = "catalog-worker-password";

    /// <summary>The catalog connection string for the API's role, on the same endpoint as the server's own.</summary>
    public static ReferenceExpression ApiConnectionString(EndpointReference server, string database, ParameterResource password) =>
        LoginConnectionString(server, database, CatalogLogins.Api, password);

    /// <summary>The catalog connection string for a login, on the same endpoint as the server's own.</summary>
    public static ReferenceExpression LoginConnectionString(EndpointReference server, string database, string login, ParameterResource password)
    {
        var poolSize = ServerTopology.CatalogPoolSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ReferenceExpression.Create(
            $"Host={server.Property(EndpointProperty.Host)};Port={server.Property(EndpointProperty.Port)};Username={login};Password={password};Database={database};Maximum Pool Size={poolSize}");
    }
}
