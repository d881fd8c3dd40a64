using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tenancy.Credentials;

public static class CredentialRegistration
{
    public static IHostApplicationBuilder AddTenantCredentials(this IHostApplicationBuilder builder)
    {
        builder.Services.AddTenantCredentials();
        return builder;
    }

    /// <summary>
    /// One key ring shared by the worker (protects) and the API (unprotects), persisted in the catalog database.
    /// Production should add ProtectKeysWith* (certificate / KMS) so the ring is itself encrypted; see docs/operations.md.
    /// </summary>
    public static IServiceCollection AddTenantCredentials(this IServiceCollection services)
    {
        services.AddDataProtection()
            .SetApplicationName("TenantAspire")
            .PersistKeysToDbContext<CatalogDbContext>();
        services.AddSingleton<TenantCredentialProtector>();
        return services;
    }
}
