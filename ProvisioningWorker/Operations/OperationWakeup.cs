using Npgsql;
using TenantAspire.Tenancy;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Operations;

/// <summary>
/// LISTENs on the catalog so new operations start at once instead of at the next poll, hibernation scans run when asked, and
/// an idle rollout runner looks at a rollout the moment it is started or resumed.
/// </summary>
public sealed class OperationWakeup(
    IConfiguration configuration, HibernationScanRequests scans, BackupPassRequests backupPasses, RolloutSignal rollouts, ILogger<OperationWakeup> logger)
    : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    /// <summary>Completes when work may be waiting, or after <paramref name="poll"/>.</summary>
    public async Task WaitAsync(TimeSpan poll, CancellationToken ct) => await _signal.WaitAsync(poll, ct);

    public void Signal() => _signal.Release();

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(
            configuration.GetConnectionString(CatalogRegistration.CatalogConnectionName)) { Pooling = false, KeepAlive = 30 }.ConnectionString;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (e.Payload.StartsWith(OperationSignal.HibernationScanPrefix, StringComparison.Ordinal))
                    {
                        scans.Request(e.Payload[OperationSignal.HibernationScanPrefix.Length..]);
                    }
                    else if (e.Payload.StartsWith(OperationSignal.BackupPassPrefix, StringComparison.Ordinal))
                    {
                        backupPasses.Request(e.Payload[OperationSignal.BackupPassPrefix.Length..]);
                    }
                    else if (e.Payload == OperationSignal.RolloutPayload)
                    {
                        rollouts.Signal();
                    }
                    else
                    {
                        Signal();
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {OperationSignal.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                Signal(); // anything queued while we were not listening
                rollouts.Signal();
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "Lost the catalog LISTEN connection; polling until it is back");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }
}
