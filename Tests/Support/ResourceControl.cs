using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace TenantAspire.TestSupport;

/// <summary>
/// A running stack's resources as a test or a benchmark drives them: each instance's state, lifecycle commands that settle,
/// restarts of killed instances and their recent console lines.
/// </summary>
public sealed class ResourceControl(DistributedApplication app)
{
    /// <summary>Every resource instance and its state now (the notification stream replays the current states first).</summary>
    public async Task<List<(string Resource, string Id, string? State)>> CurrentStatesAsync()
    {
        var states = new Dictionary<string, (string Resource, string Id, string? State)>();
        using var replay = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await foreach (var e in app.ResourceNotifications.WatchAsync(replay.Token))
            {
                states[e.ResourceId] = (e.Resource.Name, e.ResourceId, e.Snapshot.State?.Text);
            }
        }
        catch (OperationCanceledException)
        {
            // the replay is over
        }
        return [.. states.Values];
    }

    /// <summary>The instance ids of a resource (one per replica): what resource commands and logs are addressed to.</summary>
    public async Task<IReadOnlyCollection<string>> InstancesAsync(string resource) =>
        [.. (await CurrentStatesAsync()).Where(i => i.Resource == resource).Select(i => i.Id)];

    /// <summary>The last <paramref name="count"/> console lines of every instance of a resource (for a failing test's message).</summary>
    public async Task<string> RecentLogsAsync(string resource, int count = 40)
    {
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        var text = new System.Text.StringBuilder();
        foreach (var instance in await InstancesAsync(resource))
        {
            var lines = new List<string>();
            await foreach (var batch in logs.GetAllAsync(instance))
            {
                lines.AddRange(batch.Select(l => l.Content));
            }
            text.Append("--- ").AppendLine(instance).AppendJoin('\n', lines.TakeLast(count)).AppendLine();
        }
        return text.ToString();
    }

    /// <summary>
    /// Runs a lifecycle command (<c>resource-stop</c>, <c>resource-start</c>) on one instance until it reports success or the
    /// instance is already in the state it leads to: a stop can report failure while the process is still shutting down.
    /// </summary>
    public async Task CommandInstanceAsync(string instance, string command)
    {
        string? message = null;
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var result = await app.ResourceCommands.ExecuteCommandAsync(instance, command);
            if (result.Success)
            {
                return;
            }
            message = result.Message;
            await Task.Delay(TimeSpan.FromSeconds(2));
            var state = (await CurrentStatesAsync()).SingleOrDefault(i => i.Id == instance).State;
            if (command == "resource-stop" ? state is "Exited" or "Finished" : state == "Running")
            {
                return;
            }
        }
        throw new InvalidOperationException($"{command} {instance}: {message}");
    }

    /// <summary>Starts again every instance of <paramref name="resource"/> that exited (a test killed it), and waits until it is healthy.</summary>
    public async Task RestartExitedAsync(string resource)
    {
        foreach (var (_, id, _) in (await CurrentStatesAsync()).Where(i => i.Resource == resource && i.State is "Exited" or "Finished"))
        {
            await CommandInstanceAsync(id, "resource-start");
        }
        await app.ResourceNotifications.WaitForResourceHealthyAsync(resource).WaitAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>
    /// After SIGKILLs: a killed instance takes a moment to be seen as exited, and one started again too early can be reported as
    /// failed to start. Waits for the exits, then starts them (three rounds at most), and says what the resource logged if it
    /// never comes back.
    /// </summary>
    public async Task RestartKilledAsync(string resource)
    {
        for (var attempt = 1; ; attempt++)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while ((await CurrentStatesAsync()).Where(i => i.Resource == resource)
                   .Any(i => i.State is not ("Running" or "Exited" or "Finished" or "FailedToStart")))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"the killed {resource} was not seen as exited within 20 s");
                }
                await Task.Delay(200);
            }
            foreach (var (_, id, _) in (await CurrentStatesAsync()).Where(i => i.Resource == resource && i.State == "FailedToStart"))
            {
                await CommandInstanceAsync(id, "resource-start");
            }
            try
            {
                await RestartExitedAsync(resource);
                return;
            }
            catch (Exception e) when (attempt < 3 && e is DistributedApplicationException or TimeoutException)
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
            catch (Exception e) when (e is DistributedApplicationException or TimeoutException)
            {
                throw new InvalidOperationException($"{resource} did not come back: " + await RecentLogsAsync(resource, 40), e);
            }
        }
    }
}
