using Aspire.Hosting.ApplicationModel;

namespace TenantAspire.AppHost.Tenants;

/// <summary>
/// The fleet as a dashboard resource, a child of the <c>catalog</c> database: live counts and health from the catalog
/// (<see cref="TenantsMonitor"/>) and commands that operate the fleet through the admin API (<see cref="TenantsCommands"/>).
/// Run mode only: it is a view of a running stack, not something to deploy.
/// </summary>
public sealed class TenantsResource(string name, IResourceWithConnectionString catalog)
    : Resource(name), IResourceWithParent<IResourceWithConnectionString>
{
    public const string ResourceType = "Tenants";

    public IResourceWithConnectionString Parent { get; } = catalog;
}
