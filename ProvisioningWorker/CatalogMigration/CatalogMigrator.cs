using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.CatalogMigration;

/// <summary>
/// Applies catalog migrations in <see cref="StartingAsync"/>, which the host runs before any hosted service's StartAsync, so
/// Data Protection's key-ring loader (registered by the web host itself, before us) never reads an unmigrated catalog.
/// An advisory lock makes several workers starting together safe.
/// </summary>
internal sealed class CatalogMigrator(IServiceProvider services, CatalogMigrationState state, ILogger<CatalogMigrator> logger)
    : IHostedLifecycleService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartingAsync(CancellationToken stoppingToken)
    {
        await using var scope = services.CreateAsyncScope();
        var configuration = scope.ServiceProvider.GetRequiredService<IConfiguration>();
        var workerPassword = configuration[CatalogLogins.WorkerPasswordKey];
        if (string.IsNullOrEmpty(workerPassword))
        {
            // No login of its own configured (a bare worker, the in-process test hosts): ConnectionStrings:catalog migrates.
            logger.LogWarning("{Key} is not set: the worker uses ConnectionStrings:catalog for migrations and at run time", CatalogLogins.WorkerPasswordKey);
            await MigrateAsync(scope.ServiceProvider.GetRequiredService<CatalogDbContext>(), admin: null, null, null, stoppingToken);
        }
        else
        {
            // Migrations (DDL) and the worker's login run as the server's admin; ConnectionStrings:catalog is the login itself.
            var catalogDatabase = scope.ServiceProvider.GetRequiredService<CatalogScopedNames>().CatalogDatabase;
            var server = scope.ServiceProvider.GetRequiredService<ServerResolver>().Options.Catalog;
            await using var adminSource = scope.ServiceProvider.GetRequiredService<ServerConnections>().AdminIn(server, catalogDatabase);
            await using var admin = await adminSource.OpenConnectionAsync(stoppingToken);
            await using var db = new CatalogDbContext(new DbContextOptionsBuilder<CatalogDbContext>()
                .UseNpgsql(admin).UseSnakeCaseNamingConvention().Options);
            await MigrateAsync(db, admin, catalogDatabase, workerPassword, stoppingToken);
        }
        state.Open();
        logger.LogInformation("Catalog migrations applied");
    }

    private static async Task MigrateAsync(CatalogDbContext db, NpgsqlConnection? admin, string? catalogDatabase, string? workerPassword,
        CancellationToken ct)
    {
        // Measured: two workers starting together both ran the same migration (EF's own lock did not serialise them here),
        // so a session advisory lock on the catalog does. The lock ends with the connection.
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({AdvisoryLocks.CatalogMigration})", ct);
            await db.Database.MigrateAsync(ct);
            if (admin is not null)
            {
                await CatalogWorkerLogin.EnsureAsync(admin, catalogDatabase!, workerPassword!, ct);
            }
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({AdvisoryLocks.CatalogMigration})", ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
