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
        var adminApi = new AdminApi(api.GetEndpoint("http"), signingKey);
        var commands = new TenantsCommands(adminApi);
        var rollouts = new RolloutCommands(adminApi);
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

        return builder.AddResource(resource)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = TenantsResource.ResourceType,
                State = KnownResourceStates.Starting,
                Properties = [],
            })
            .WithIconName("PeopleTeam")
            .WithHealthCheck(healthKey)
            .WithAdminCommand(TenantsCommands.CreateTenant, "Create tenant", commands.CreateTenantAsync, "PersonAdd",
                "Create a tenant through the admin API (audited as 'dashboard').", TenantsCommands.CreateTenantArguments(), highlighted: true)
            .WithAdminCommand(TenantsCommands.HibernateIdle, "Hibernate idle tenants now", commands.HibernateIdleAsync, "WeatherMoon",
                "Ask the workers to scan now and hibernate every tenant idle for Hibernation:IdleAfter.",
                confirmation: "Hibernate every tenant that has been idle for Hibernation:IdleAfter now? Their next request wakes them.")
            .WithAdminCommand(TenantsCommands.BackUpNow, "Back up now", commands.BackUpNowAsync, "Save",
                "Back one tenant up now, changed or not (a snapshot: pg_dump into the backup store).", TenantsCommands.BackUpNowArguments())
            .WithAdminCommand(TenantsCommands.RestoreToPointInTime, "Restore tenant to a point in time", commands.RestoreToPointInTimeAsync, "History",
                "Restore one tenant as it was at a moment of its recovery window, in place (undo possible) or as a new tenant.",
                TenantsCommands.RestoreToPointInTimeArguments())
            .WithAdminCommand(RolloutCommands.Start, "Start rollout", rollouts.StartAsync, "ArrowSync",
                "Migrate every tenant behind the target, ring by ring (canaries first).", RolloutCommands.StartArguments())
            .WithAdminCommand(RolloutCommands.Pause, "Pause rollout", rollouts.PauseAsync, "Pause",
                "Pause the open rollout: tenants migrating now finish, no new one starts.")
            .WithAdminCommand(RolloutCommands.Resume, "Resume rollout", rollouts.ResumeAsync, "Play",
                "Resume a paused or halted rollout (a halted ring's failed tenants are tried again).");
    }

    /// <summary>A command that calls the admin API: enabled once the resource runs (the API validates and audits what it does).</summary>
    private static IResourceBuilder<TenantsResource> WithAdminCommand(this IResourceBuilder<TenantsResource> builder, string name,
        string displayName, Func<ExecuteCommandContext, Task<ExecuteCommandResult>> execute, string icon, string description,
        IReadOnlyList<InteractionInput>? arguments = null, string? confirmation = null, bool highlighted = false) =>
        builder.WithCommand(name, displayName, execute, new CommandOptions
        {
            Description = description,
            IconName = icon,
            IsHighlighted = highlighted,
            Arguments = [.. arguments ?? []],
            ConfirmationMessage = confirmation,
            UpdateState = context => context.ResourceSnapshot.State?.Text == KnownResourceStates.Running
                ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
        });
}
