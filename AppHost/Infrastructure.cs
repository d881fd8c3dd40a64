using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using TenantAspire.AppHost.Local;

namespace TenantAspire.AppHost;

/// <summary>The backing services every TenantAspire service references, whichever mode provides them.</summary>
public sealed record Infrastructure(
    IResourceBuilder<IResourceWithConnectionString> Postgres,
    IResourceBuilder<IResourceWithConnectionString> Catalog,
    IResourceBuilder<IResourceWithConnectionString> Redis)
{

    public static Infrastructure Add(IDistributedApplicationBuilder builder, InfrastructureMode mode, LocalDataRoot dataRoot) => mode switch
    {
        InfrastructureMode.Containers => AddContainers(builder),
        _ => AddLocalProcesses(builder, dataRoot),
    };

    private static Infrastructure AddContainers(IDistributedApplicationBuilder builder)
    {
        var postgres = builder.AddPostgres(ResourceNames.Postgres).WithDataVolume("tenantaspire-postgres-data");
        var catalog = postgres.AddDatabase(ResourceNames.Catalog);
        var redis = builder.AddRedis(ResourceNames.Redis).WithDataVolume("tenantaspire-redis-data");
        return new(postgres, catalog, redis);
    }

    private static Infrastructure AddLocalProcesses(IDistributedApplicationBuilder builder, LocalDataRoot dataRoot)
    {
        var postgresBin = builder.Configuration["LocalInfrastructure:PostgresBin"] ?? LocalPrerequisites.DefaultPostgresBin;
        LocalPrerequisites.EnsurePresent(postgresBin);
        dataRoot.EnsureExists();
        var maxConnections = builder.Configuration.GetValue("LocalInfrastructure:MaxConnections", 200);
        var postgres = builder.AddLocalPostgres(ResourceNames.Postgres, dataRoot, postgresBin, maxConnections);
        var catalog = postgres.AddDatabase(ResourceNames.Catalog);
        var redis = builder.AddLocalRedis(ResourceNames.Redis, dataRoot);
        return new(postgres, catalog, redis);
    }

}
