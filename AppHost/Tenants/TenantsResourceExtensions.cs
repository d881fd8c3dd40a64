using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TenantAspire.AppHost.Tenants;

public static class TenantsResourceExtensions
{
    public const string Name = "tenants";

    /// <summary>
    /// Adds the <c>tenants</c> resource under the catalog (run mode): live fleet state, and commands that go through
    /// <paramref name="api"/> with tokens signed by <paramref name="signingKey"/>.
    /// </summary>
    public static IResourceBuilder<TenantsResource> AddTenantsResource(this IDistributedApplicationBuilder builder,
        IResourceBuilder<IResourceWithConnectionString> catalog, IResourceBuilder<ProjectResource> api, string signingKey)
    {
        var resource = new TenantsResource(Name, catalog.Resource);
        var commands = new TenantsCommands(api.GetEndpoint("http"), signingKey);
        var catalogConnection = CatalogRoles.ApiConnectionString(
            new EndpointReference(builder.Resources.OfType<IResourceWithEndpoints>().Single(r => r.Name == ResourceNames.Postgres), "tcp"),
            ResourceNames.Catalog, builder.Resources.OfType<ParameterResource>().Single(p => p.Name == CatalogRoles.ApiPasswordParameter));

        TenantsMonitor? monitor = null;
        builder.Eventing.Subscribe<AfterResourcesCreatedEvent>((e, ct) =>
        {
            monitor = new TenantsMonitor(resource, catalogConnection, e.Services.GetRequiredService<ResourceNotificationService>(),
                e.Services.GetRequiredService<ILoggerFactory>().CreateLogger<TenantsMonitor>());
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(() => monitor.RunAsync(stopping), stopping);
            return Task.CompletedTask;
        });
        // The dashboard shows the resource Degraded, with the reason, when tenants or operations failed.
        var healthKey = $"{Name}_fleet";
        builder.Services.AddHealthChecks().AddCheck(healthKey, () =>
            monitor?.Latest?.Health() ?? HealthCheckResult.Unhealthy("the catalog has not been read yet"));

        // Commands are enabled once the API answers (it validates and audits everything they do).
        ResourceCommandState WhenApiRunning(UpdateCommandStateContext context) =>
            context.ResourceSnapshot.State?.Text == KnownResourceStates.Running ? ResourceCommandState.Enabled : ResourceCommandState.Disabled;

        return builder.AddResource(resource)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = TenantsResource.ResourceType,
                State = KnownResourceStates.Starting,
                Properties = [],
            })
            .WithIconName("PeopleTeam")
            .WithHealthCheck(healthKey)
            .WithCommand(TenantsCommands.CreateTenant, "Create tenant", commands.CreateTenantAsync, new CommandOptions
            {
                Description = "Create a tenant through the admin API (audited as 'dashboard').",
                IconName = "PersonAdd",
                IsHighlighted = true,
                Arguments = [.. TenantsCommands.CreateTenantArguments()],
                UpdateState = WhenApiRunning,
            })
            .WithCommand(TenantsCommands.HibernateIdle, "Hibernate idle tenants now", commands.HibernateIdleAsync, new CommandOptions
            {
                Description = "Ask the workers to scan now and hibernate every tenant idle for Hibernation:IdleAfter.",
                IconName = "WeatherMoon",
                ConfirmationMessage = "Hibernate every tenant that has been idle for Hibernation:IdleAfter now? Their next request wakes them.",
                UpdateState = WhenApiRunning,
            });
    }
}
