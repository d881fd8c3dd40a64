using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Operations;

/// <summary>
/// Runs <see cref="ProvisioningOptions.Concurrency"/> claim loops. Transient failures retry with exponential backoff; after
/// <see cref="ProvisioningOptions.MaxAttempts"/> (or a permanent error) the tenant is cleaned up and marked failed with the reason.
/// </summary>
public sealed class OperationProcessor(
    IServiceScopeFactory scopes,
    CatalogMigrationState migrations,
    ProvisioningReadiness readiness,
    OperationWakeup wakeup,
    IOptions<ProvisioningOptions> options,
    TimeProvider clock,
    ILogger<OperationProcessor> logger) : BackgroundService
{
    private readonly string _workerId = $"{Environment.MachineName}/{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        await BootstrapAsync(stoppingToken);
        readiness.Open();
        var loops = Enumerable.Range(0, Math.Max(1, options.Value.Concurrency)).Select(_ => LoopAsync(stoppingToken));
        await Task.WhenAll(loops);
    }

    private async Task BootstrapAsync(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<ServerBootstrap>().RunAsync(ct);
                return;
            }
            catch (NpgsqlException e) when (attempt < 10)
            {
                logger.LogWarning(e, "Provisioning bootstrap failed (attempt {Attempt}); retrying", attempt);
                await Task.Delay(Backoff.For(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)), ct);
            }
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!await TryRunOneAsync(ct))
                {
                    await wakeup.WaitAsync(options.Value.PollInterval, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The catalog itself is unreachable: back off; leases make sure nothing claimed is lost.
                logger.LogError(e, "Operation loop error");
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    private async Task<bool> TryRunOneAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var queue = services.GetRequiredService<OperationQueue>();
        var operation = await queue.TryClaimAsync(_workerId, options.Value.Lease, ct);
        if (operation is null)
        {
            return false;
        }
        wakeup.Signal(); // there may be more: let a sibling loop look too

        // Join the requesting call's trace and restore its baggage (tenant.id), so every span below carries the tenant.
        ActivityContext.TryParse(operation.TraceParent, null, out var parent);
        OperationTrace.RestoreBaggage(operation.Baggage);
        using var activity = ProvisioningTelemetry.Source.StartActivity(
            $"tenant {operation.Kind.ToString().ToLowerInvariant()}", ActivityKind.Consumer, parent);
        activity?.SetTag("tenant.operation.id", operation.Id);
        activity?.SetTag("tenant.operation.kind", operation.Kind.ToString());
        activity?.SetTag("tenant.operation.attempt", operation.Attempts);
        var slug = await services.GetRequiredService<CatalogDbContext>().Tenants
            .Where(t => t.Id == operation.TenantId).Select(t => t.Slug).FirstOrDefaultAsync(ct);
        if (slug is not null)
        {
            TenantTelemetry.Enter(slug); // operations queued without baggage (the demo seeder) still carry their tenant
        }
        using var logScope = logger.BeginScope(new Dictionary<string, object?> { [TenantTelemetry.TenantIdKey] = slug });

        services.GetRequiredService<OperationLease>().Hold(operation);
        await using var renewal = new LeaseRenewal(scopes, operation, options.Value.Lease, clock, logger);
        using var work = CancellationTokenSource.CreateLinkedTokenSource(ct, renewal.Lost);

        var started = Stopwatch.GetTimestamp();
        var outcome = "succeeded";
        try
        {
            await OperationHandlerRegistration.For(services, operation.Kind).Run(services, operation, work.Token);
            await renewal.StopAsync(); // so a last renewal cannot race the completion and report a takeover that is not one
            if (!await queue.CompleteAsync(operation, ct))
            {
                throw new LeaseLostException(operation);
            }
            logger.LogInformation("{Kind} of {Tenant} succeeded in {Elapsed:0} ms (attempt {Attempt})",
                operation.Kind, slug, Stopwatch.GetElapsedTime(started).TotalMilliseconds, operation.Attempts);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && (renewal.IsLost || e is LeaseLostException))
        {
            // Another holder has the operation: its state stands, and nothing of ours may be cleaned up.
            outcome = "lease-lost";
            logger.LogWarning("{Kind} of {Tenant}: lease lost (attempt {Attempt}); left to the new holder", operation.Kind, slug, operation.Attempts);
            activity?.SetStatus(ActivityStatusCode.Error, "lease lost");
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            await renewal.StopAsync(); // the outcome is written next, under the lease still held (fenced either way)
            var reason = Failures.Describe(e);
            if (!Failures.IsPermanent(e) && operation.Attempts < options.Value.MaxAttempts)
            {
                outcome = "retried";
                var delay = Backoff.For(operation.Attempts, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));
                logger.LogWarning("{Kind} of {Tenant} failed (attempt {Attempt}): {Reason}; retrying in {Delay}",
                    operation.Kind, slug, operation.Attempts, reason, delay);
                await queue.RetryLaterAsync(operation, reason, delay, ct);
            }
            else
            {
                outcome = "failed";
                logger.LogError("{Kind} of {Tenant} failed for good after {Attempts} attempt(s): {Reason}",
                    operation.Kind, slug, operation.Attempts, reason);
                try
                {
                    if (OperationHandlerRegistration.For(services, operation.Kind).GiveUp is { } giveUp)
                    {
                        await giveUp(services, operation, reason, ct);
                    }
                    await queue.FailAsync(operation, reason, ct);
                }
                catch (LeaseLostException)
                {
                    outcome = "lease-lost";
                    logger.LogWarning("{Kind} of {Tenant}: lease lost before clean-up; nothing dropped", operation.Kind, slug);
                }
            }
            activity?.SetStatus(ActivityStatusCode.Error, reason);
        }
        finally
        {
            ProvisioningTelemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                new("operation.kind", operation.Kind.ToString()), new("outcome", outcome));
        }
        return true;
    }
}
