using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Servers;

namespace TenantAspire.Tenancy;

public static class CatalogRegistration
{
    public const string CatalogConnectionName = "catalog";

    /// <summary>The catalog DbContext through Aspire's Npgsql EF Core integration (pooling, health check, tracing, retries).</summary>
    public static IHostApplicationBuilder AddCatalog(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<CatalogDbContext>(CatalogConnectionName,
            configureDbContextOptions: options => options.UseSnakeCaseNamingConvention());
        builder.AddTenantServers(); // everything that reads the catalog's routes connects to their servers
        return builder;
    }
}
