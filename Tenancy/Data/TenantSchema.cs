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
        .ReplaceService<IModelCacheKeyFactory, TenantModelCacheKeyFactory>()
        .AddInterceptors(CompletedWriteCounter.Instance)
        .Options;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string? From, string To), string> _scripts = new();

    public TenantSchema()
    {
        using var probe = new TenantDbContext(_options);
        Migrations = [.. probe.GetService<IMigrationsAssembly>().Migrations.Keys.Order(StringComparer.Ordinal)];
        LatestMigration = Migrations[^1];
    }

    /// <summary>Every tenant migration of this build, oldest first.</summary>
    public IReadOnlyList<string> Migrations { get; }

    /// <summary>Id of the newest tenant migration in this build (what "schema version" means).</summary>
    public string LatestMigration { get; }

    public bool IsKnown(string migration) => Migrations.Contains(migration, StringComparer.Ordinal);

    /// <summary>
    /// This build's migrations older than <paramref name="target"/>: "behind" in a catalog query is <c>version IN (these)</c> (or
    /// none at all), an ordinal test that no database collation can reorder.
    /// </summary>
    public string[] Before(string target) => [.. Migrations.Where(m => TenantMigrations.IsBehind(m, target))];

    /// <summary>This build's migrations up to and including <paramref name="migration"/>.</summary>
    public string[] UpTo(string migration) => [.. Migrations.Where(m => !TenantMigrations.IsBehind(migration, m))];

    /// <summary>
    /// The SQL that takes a database from <paramref name="from"/> (null: empty) to <paramref name="to"/>, history rows included,
    /// without transaction statements: the caller runs it in its own transaction, with its own lock and statement timeouts and
    /// advisory lock, in one round trip. Generated once per pair (EF Core's migrator builds it from the migrations' model).
    /// </summary>
    public string Script(string? from, string to) => _scripts.GetOrAdd((from, to), key =>
    {
        using var probe = new TenantDbContext(_options);
        return probe.GetService<IMigrator>().GenerateScript(key.From, key.To, MigrationsSqlGenerationOptions.NoTransactions);
    });

    /// <param name="connectionString">The tenant database's.</param>
    /// <param name="withCustomFields">False for a tenant behind <see cref="TenantMigrations.CustomFields"/>.</param>
    public TenantDbContext CreateContext(string connectionString, bool withCustomFields = true)
    {
        var context = new TenantDbContext(_options) { WithCustomFields = withCustomFields };
        context.Database.SetConnectionString(connectionString);
        return context;
    }

    /// <param name="connection">An open or closed connection to the tenant's database.</param>
    /// <param name="withCustomFields">False for a tenant behind <see cref="TenantMigrations.CustomFields"/>.</param>
    public TenantDbContext CreateContext(System.Data.Common.DbConnection connection, bool withCustomFields = true)
    {
        var context = new TenantDbContext(_options) { WithCustomFields = withCustomFields };
        context.Database.SetDbConnection(connection);
        return context;
    }
}
