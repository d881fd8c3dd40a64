using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tenancy;

public static class CatalogRegistration
{
    public const string CatalogConnectionName = "catalog";

    /// <summary>The catalog DbContext through Aspire's Npgsql EF Core integration (pooling, health check, tracing, retries).</summary>
    public static IHostApplicationBuilder AddCatalog(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<CatalogDbContext>(CatalogConnectionName,
            configureDbContextOptions: options => options.UseSnakeCaseNamingConvention());
        return builder;
    }
}
