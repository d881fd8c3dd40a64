using Microsoft.Extensions.Diagnostics.HealthChecks;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Migrations;

public sealed class CatalogMigrationState
{
    private readonly TaskCompletionSource _applied = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public bool Applied => _applied.Task.IsCompleted;
    public void MarkApplied() => _applied.TrySetResult();
    public Task WaitAsync(CancellationToken ct) => _applied.Task.WaitAsync(ct);
}

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
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        // Measured: two workers starting together both ran the same migration (EF's own lock did not serialise them here),
        // so a session advisory lock on the catalog does. The lock ends with the connection.
        await db.Database.OpenConnectionAsync(stoppingToken);
        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({AdvisoryLocks.CatalogMigration})", stoppingToken);
            await db.Database.MigrateAsync(stoppingToken);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({AdvisoryLocks.CatalogMigration})", stoppingToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
        state.MarkApplied();
        logger.LogInformation("Catalog migrations applied");
    }
}

internal sealed class CatalogMigrationHealthCheck(CatalogMigrationState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.Applied
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("catalog migrations not applied yet"));
}
