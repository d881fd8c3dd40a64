using Microsoft.EntityFrameworkCore;
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

/// <summary>Applies catalog migrations at start. EF Core takes a migration lock, so several workers starting together are safe.</summary>
internal sealed class CatalogMigrator(IServiceProvider services, CatalogMigrationState state, ILogger<CatalogMigrator> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        // Aspire's retrying execution strategy covers the window where Postgres is up but not yet accepting logins.
        await db.Database.MigrateAsync(stoppingToken);
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
