using TenantAspire.ProvisioningWorker.Migrations;
using TenantAspire.Tenancy;

namespace TenantAspire.ProvisioningWorker.Extensions;

internal static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddCatalog();
        builder.AddRedisClient("redis");

        // The worker, not the API, migrates the catalog; readiness stays red until it has.
        builder.Services.AddSingleton<CatalogMigrationState>();
        builder.Services.AddHostedService<CatalogMigrator>();
        builder.Services.AddHealthChecks().AddCheck<CatalogMigrationHealthCheck>("catalog-migrations");
        return builder;
    }
}
