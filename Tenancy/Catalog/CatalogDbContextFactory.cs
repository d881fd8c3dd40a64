using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace TenantAspire.Tenancy.Catalog;

/// <summary>Design-time only (dotnet ef migrations add): no server is contacted.</summary>
internal sealed class CatalogDbContextFactory : IDesignTimeDbContextFactory<CatalogDbContext>
{
    public CatalogDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<CatalogDbContext>().UseNpgsql("Host=design-time").UseSnakeCaseNamingConvention().Options);
}
