using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace TenantAspire.TestSupport;

/// <summary>
/// How a test or benchmark stack is configured to stop fast and clean (docs/testing.md, "Stopping a stack").
/// </summary>
public static class StackShutdown
{
    /// <summary>
    /// No OTLP export from a service: no dashboard runs in a test stack, so every export (each second for metrics) would fail and
    /// be kept for Aspire's in-memory retry (OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY=in_memory), which also holds the process for 5 s
    /// when it stops (measured: 5.1 s from SIGTERM to exit with an endpoint, 0.1 s without). ServiceDefaults turns the exporter
    /// off for an empty endpoint.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithoutOtlpExport(this IResourceBuilder<ProjectResource> project) =>
        project.WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", "");

    /// <summary><see cref="WithoutOtlpExport(IResourceBuilder{ProjectResource})"/> for every service of the stack.</summary>
    public static IDistributedApplicationTestingBuilder WithoutOtlpExport(this IDistributedApplicationTestingBuilder builder)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
        {
            builder.CreateResourceBuilder(project).WithoutOtlpExport();
        }
        return builder;
    }

    /// <summary>
    /// Stops the stack in dependency order, then the rest: the services first (they hold connections and run pg_dump and
    /// pgBackRest), then the other processes but <paramref name="last"/> (the Postgres servers, whose shutdown pushes their last
    /// WAL segment to the backup store), then <paramref name="last"/> with everything left. Aspire stops every resource at once:
    /// the store then went first, and each server's final archive push hung on it and outlived the server as an orphan
    /// (pgBackRest retrying for minutes). A step that does not settle within its limit is left to the final stop.
    /// </summary>
    public static async Task StopInOrderAsync(DistributedApplication app, params string[] last)
    {
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var services = model.Resources.OfType<ProjectResource>().Select(r => r.Name).ToHashSet();
        var others = model.Resources.OfType<ExecutableResource>().Select(r => r.Name)
            .Where(n => !services.Contains(n) && !last.Contains(n)).ToHashSet();
        var control = new ResourceControl(app);
        foreach (var step in new[] { services, others })
        {
            var running = (await control.CurrentStatesAsync()).Where(i => step.Contains(i.Resource) && i.State == "Running");
            try
            {
                await Task.WhenAll(running.Select(i => app.ResourceCommands.ExecuteCommandAsync(i.Id, KnownResourceCommands.StopCommand)))
                    .WaitAsync(StepLimit);
            }
            catch (Exception e) when (e is TimeoutException or DistributedApplicationException or InvalidOperationException)
            {
                // the final stop below ends whatever is left
            }
        }
        await app.StopAsync();
    }

    private static readonly TimeSpan StepLimit = TimeSpan.FromSeconds(20);
}
