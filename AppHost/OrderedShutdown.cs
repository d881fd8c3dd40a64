using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TenantAspire.AppHost;

/// <summary>
/// Stops the stack in dependency order when the AppHost stops (Ctrl+C, a test's <c>StopAsync</c>): the services first (they
/// hold connections and run pg_dump and pgBackRest), then the servers and the other processes, and the backup store last, with
/// whatever Aspire stops after this. Aspire 13 stops every resource at once: the store then went first, and each server's
/// shutdown pushed its last WAL segment to a store already gone; the push retried for minutes and outlived the server as an
/// orphan (docs/operations.md, "Stopping the stack"). Runs in <see cref="StoppingAsync"/>, before any hosted service stops:
/// Aspire's orchestrator tears the resources down in its own StopAsync.
/// </summary>
internal sealed class OrderedShutdown(
    DistributedApplicationModel model,
    DistributedApplicationExecutionContext context,
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    ILogger<OrderedShutdown> logger) : IHostedLifecycleService
{
    /// <summary>Longest one step may take; what is still running after it is left to Aspire's own stop.</summary>
    public static readonly TimeSpan StepLimit = TimeSpan.FromSeconds(20);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (!context.IsRunMode)
        {
            return;
        }
        var services = model.Resources.OfType<ProjectResource>().Select(r => r.Name).ToHashSet();
        var others = model.Resources.Where(r => r is ExecutableResource or ContainerResource && r.Name != ResourceNames.Blobs)
            .Select(r => r.Name).ToHashSet();
        var running = await RunningInstancesAsync(cancellationToken);
        foreach (var step in new[] { services, others })
        {
            var instances = running.Where(i => step.Contains(i.Resource)).Select(i => i.Id).ToList();
            try
            {
                await Task.WhenAll(instances.Select(id => commands.ExecuteCommandAsync(id, KnownResourceCommands.StopCommand, cancellationToken)))
                    .WaitAsync(StepLimit, cancellationToken);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or InvalidOperationException or DistributedApplicationException)
            {
                logger.LogWarning("Ordered stop: {Instances} did not stop in time ({Reason}); Aspire stops them with the rest",
                    string.Join(", ", instances), e.Message);
            }
        }
    }

    /// <summary>Every running instance (a replica is one) by resource: the notification stream replays current states first.</summary>
    private async Task<List<(string Resource, string Id)>> RunningInstancesAsync(CancellationToken cancellationToken)
    {
        var states = new Dictionary<string, (string Resource, string? State)>();
        using var replay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        replay.CancelAfter(ReplayWindow);
        try
        {
            await foreach (var e in notifications.WatchAsync(replay.Token))
            {
                states[e.ResourceId] = (e.Resource.Name, e.Snapshot.State?.Text);
            }
        }
        catch (OperationCanceledException)
        {
            // the replay is over
        }
        return [.. states.Where(s => s.Value.State == KnownResourceStates.Running).Select(s => (s.Value.Resource, s.Key))];
    }

    private static readonly TimeSpan ReplayWindow = TimeSpan.FromMilliseconds(500);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal static class OrderedShutdownRegistration
{
    public static IDistributedApplicationBuilder AddOrderedShutdown(this IDistributedApplicationBuilder builder)
    {
        builder.Services.AddHostedService<OrderedShutdown>();
        return builder;
    }
}
