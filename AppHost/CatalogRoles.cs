using Aspire.Hosting.ApplicationModel;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.AppHost;

/// <summary>
/// How the API reaches the catalog: as its own least-privilege login (<see cref="CatalogLogins.Api"/>, created and granted by
/// the worker's bootstrap), never as the server's superuser. The worker gets the password to create the role; the API gets only
/// a connection string for that role.
/// </summary>
public static class CatalogRoles
{
    public const string ApiPasswordParameter = "catalog-api-password";

    /// <summary>The catalog connection string for the API's role, on the same endpoint as the server's own.</summary>
    public static ReferenceExpression ApiConnectionString(EndpointReference server, string database, ParameterResource password) =>
        ReferenceExpression.Create(
            $"Host={server.Property(EndpointProperty.Host)};Port={server.Property(EndpointProperty.Port)};Username={CatalogLogins.Api};Password={password};Database={database}");
}
