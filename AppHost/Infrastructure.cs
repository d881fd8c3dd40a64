using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using TenantAspire.AppHost.Local;

namespace TenantAspire.AppHost;

/// <summary>The backing services every TenantAspire service references, whichever mode provides them.</summary>
public sealed record Infrastructure(
    IResourceBuilder<IResourceWithConnectionString> Postgres,
    EndpointReference PostgresEndpoint,
    IResourceBuilder<IResourceWithConnectionString> Catalog,
    IResourceBuilder<IResourceWithConnectionString> Redis)
{
    public const string CatalogDatabase = "catalog";

    public static Infrastructure Add(IDistributedApplicationBuilder builder, InfrastructureMode mode, LocalDataRoot dataRoot) => mode switch
    {
        InfrastructureMode.Containers => AddContainers(builder),
        _ => AddLocalProcesses(builder, dataRoot),
    };

    private static Infrastructure AddContainers(IDistributedApplicationBuilder builder)
    {
        var postgres = builder.AddPostgres("postgres").WithDataVolume("tenantaspire-postgres-data");
        var catalog = postgres.AddDatabase(CatalogDatabase);
        var redis = builder.AddRedis("redis").WithDataVolume("tenantaspire-redis-data");
        return new(postgres, postgres.Resource.PrimaryEndpoint, catalog, redis);
    }

    private static Infrastructure AddLocalProcesses(IDistributedApplicationBuilder builder, LocalDataRoot dataRoot)
    {
        var postgresBin = builder.Configuration["LocalInfrastructure:PostgresBin"] ?? LocalPrerequisites.DefaultPostgresBin;
        LocalPrerequisites.EnsurePresent(postgresBin);
        dataRoot.EnsureExists();
        var maxConnections = builder.Configuration.GetValue("LocalInfrastructure:MaxConnections", 200);
        var postgres = builder.AddLocalPostgres("postgres", dataRoot, postgresBin, maxConnections);
        var catalog = postgres.AddDatabase(CatalogDatabase);
        var redis = builder.AddLocalRedis("redis", dataRoot);
        return new(postgres, postgres.Resource.PrimaryEndpoint, catalog, redis);
    }

}
