using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace TenantAspire.TestSupport;

/// <summary>
/// A test or benchmark stack's services without telemetry export, so they stop in a fraction of a second (docs/testing.md,
/// "Stopping a stack"; the stop's order is the AppHost's own, <c>OrderedShutdown</c>).
/// </summary>
public static class TestStackTelemetry
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
}
