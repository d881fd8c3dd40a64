using System.Globalization;
using Aspire.Hosting.ApplicationModel;

namespace TenantAspire.AppHost;

/// <summary>Where a tenant server's tablespace folders are, as that server sees them (set by <see cref="Infrastructure"/>).</summary>
public sealed record TablespaceRootAnnotation(string Root) : IResourceAnnotation;

/// <summary>
/// The max_connections a server runs with (set by <see cref="Infrastructure"/>, which starts it): the services' budgets are
/// computed from it, so raising it for a local run (<c>LocalInfrastructure:MaxConnections</c>) raises them too.
/// </summary>
public sealed record MaxConnectionsAnnotation(int MaxConnections) : IResourceAnnotation;

/// <summary>
/// A server that archives its WAL with pgBackRest (set by <see cref="Infrastructure"/> in local mode): the worker runs pgBackRest
/// with this configuration file and stanza for base backups, the recovery window and point-in-time restores, and the repository's
/// key (the backup store's account key: pgBackRest reads it from its environment, never from the configuration file).
/// </summary>
public sealed record ArchiveAnnotation(string ConfigPath, string Stanza, ParameterResource RepositoryKey) : IResourceAnnotation;

/// <summary>Marks a tenant-api process (with its replicas): together they share each server's connection budget.</summary>
public sealed record TenantApiAnnotation : IResourceAnnotation;

/// <summary>
/// Hands the server topology (section <c>Servers</c>, see <see cref="ServerTopology"/>) to a service, and a connection string per
/// server: the worker gets the server's admin login (it creates databases, roles, tablespaces and subscriptions); the API gets
/// only its own login into each server's maintenance database (the registry watches backends leave there; tenant connections
/// log in as each tenant's role). The one place both services' view of the servers is built, so they cannot disagree.
/// </summary>
public static class ServerWiring
{
    public static IResourceBuilder<ProjectResource> WithTenantServers(this IResourceBuilder<ProjectResource> project, bool admin)
    {
        var builder = project.ApplicationBuilder;
        project.WithEnvironment("Servers__Catalog", ServerTopology.Servers[0].Name);
        foreach (var spec in ServerTopology.Servers)
        {
            var resource = builder.Resources.OfType<IResourceWithConnectionString>().Single(r => r.Name == spec.Name);
            var server = builder.CreateResourceBuilder(resource);
            var key = $"Servers__Pool__{spec.Name}__";
            for (var i = 0; i < spec.Tiers.Length; i++)
            {
                project.WithEnvironment($"{key}Tiers__{i}", spec.Tiers[i].ToString());
            }
            project.WithEnvironment($"{key}Capacity", spec.Capacity.ToString(CultureInfo.InvariantCulture))
                .WithEnvironment($"{key}MaxConnections", resource.Annotations.OfType<MaxConnectionsAnnotation>().Single().MaxConnections.ToString(CultureInfo.InvariantCulture))
                .WithEnvironment($"{key}ReservedConnections", spec.ReservedConnections.ToString(CultureInfo.InvariantCulture))
                .WaitFor(server);
            if (admin)
            {
                project.WithReference(server);
                if (resource.Annotations.OfType<TablespaceRootAnnotation>().SingleOrDefault() is { } root)
                {
                    project.WithEnvironment($"{key}TablespaceRoot", root.Root);
                }
                if (resource.Annotations.OfType<ArchiveAnnotation>().SingleOrDefault() is { } archive)
                {
                    project.WithEnvironment($"{key}Archive__Config", archive.ConfigPath)
                        .WithEnvironment($"{key}Archive__Stanza", archive.Stanza)
                        .WithEnvironment("Archive__RepositoryKey", archive.RepositoryKey);
                }
            }
            else
            {
                var endpoint = new EndpointReference((IResourceWithEndpoints)resource, "tcp");
                var password = builder.Resources.OfType<ParameterResource>().Single(p => p.Name == CatalogRoles.ApiPasswordParameter);
                project.WithEnvironment($"ConnectionStrings__{spec.Name}", CatalogRoles.ApiConnectionString(endpoint, "postgres", password));
            }
        }
        // Counted when the processes start, so replicas added after this call (WithReplicas, a test's extra API) are included.
        return project.WithEnvironment(context =>
            context.EnvironmentVariables["Servers__ApiReplicas"] = builder.Resources.OfType<ProjectResource>()
                .Where(p => p.Annotations.OfType<TenantApiAnnotation>().Any())
                .Sum(p => p.Annotations.OfType<ReplicaAnnotation>().LastOrDefault()?.Replicas ?? 1)
                .ToString(CultureInfo.InvariantCulture));
    }
}
