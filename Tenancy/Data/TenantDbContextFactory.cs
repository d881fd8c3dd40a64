using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace TenantAspire.Tenancy.Data;

/// <summary>Design-time only (dotnet ef migrations add): no server is contacted.</summary>
internal sealed class TenantDbContextFactory : IDesignTimeDbContextFactory<TenantDbContext>
{
    public TenantDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<TenantDbContext>().UseNpgsql("Host=design-time").UseSnakeCaseNamingConvention().Options);
}

