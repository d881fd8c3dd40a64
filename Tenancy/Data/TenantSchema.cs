using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace TenantAspire.Tenancy.Data;

/// <summary>
/// Builds <see cref="TenantDbContext"/> instances for arbitrary tenant connections. The options are built once and the connection is
/// swapped per context, so EF Core keeps one internal service provider (no "many service providers" warning).
/// </summary>
public sealed class TenantSchema
{
    private readonly DbContextOptions<TenantDbContext> _options = new DbContextOptionsBuilder<TenantDbContext>()
        .UseNpgsql(npgsql => npgsql.EnableRetryOnFailure(3))
        .UseSnakeCaseNamingConvention()
        .Options;

    public TenantSchema()
    {
        using var probe = new TenantDbContext(_options);
        LatestMigration = probe.GetService<IMigrationsAssembly>().Migrations.Keys.Order(StringComparer.Ordinal).Last();
    }

    /// <summary>Id of the newest tenant migration in this build (what "schema version" means).</summary>
    public string LatestMigration { get; }

    public TenantDbContext CreateContext(string connectionString)
    {
        var context = new TenantDbContext(_options);
        context.Database.SetConnectionString(connectionString);
        return context;
    }

    public TenantDbContext CreateContext(System.Data.Common.DbConnection connection)
    {
        var context = new TenantDbContext(_options);
        context.Database.SetDbConnection(connection);
        return context;
    }
}
