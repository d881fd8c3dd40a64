using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using TenantAspire.AppHost.Local;

namespace TenantAspire.AppHost;

/// <summary>The backing services every TenantAspire service references, whichever mode provides them.</summary>
public sealed record Infrastructure(
    IResourceBuilder<IResourceWithConnectionString> Postgres,
    IResourceBuilder<IResourceWithConnectionString> Catalog,
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResourceWithConnectionString> Blobs)
{

    public static Infrastructure Add(IDistributedApplicationBuilder builder, InfrastructureMode mode, LocalDataRoot dataRoot) => mode switch
    {
        InfrastructureMode.Containers => AddContainers(builder),
        _ => AddLocalProcesses(builder, dataRoot),
    };

    private static Infrastructure AddContainers(IDistributedApplicationBuilder builder)
    {
        var servers = ServerTopology.Servers.Select(spec =>
        {
            var root = ServerTopology.ContainerTablespaceRoot;
            var server = builder.AddPostgres(spec.Name).WithDataVolume($"tenantaspire-{spec.Name}-data");
            // A volume per storage class (premium: put it on the fast disk). Docker creates a volume's mount point as root, so the
            // entrypoint hands the folders to postgres before the image's own entrypoint starts the server.
            foreach (var storageClass in Tenancy.Servers.StorageClasses.All)
            {
                server.WithVolume($"tenantaspire-{spec.Name}-{storageClass}", $"{root}/{storageClass}");
            }
            server.WithEntrypoint("/bin/sh").WithArgs("-c",
                $"mkdir -p {root}/standard {root}/premium && chown -R postgres:postgres {root} && exec docker-entrypoint.sh postgres "
                + $"-c max_connections={ServerTopology.MaxConnections} " + string.Join(' ', ServerTopology.ReplicationSettings.Select(s => "-c " + s)));
            return server.WithAnnotation(new TablespaceRootAnnotation(root))
                .WithAnnotation(new MaxConnectionsAnnotation(ServerTopology.MaxConnections));
        }).ToList();
        var catalog = servers[0].AddDatabase(ResourceNames.Catalog); // the first server holds the catalog (ServerTopology)
        var redis = builder.AddRedis(ResourceNames.Redis).WithDataVolume("tenantaspire-redis-data");
        var blobKey = builder.AddParameter(BlobStorage.KeyParameter, new GenerateParameterDefault { MinLength = 44, Special = false }, secret: true);
        var blobs = builder.AddAzuriteContainer(ResourceNames.Blobs, blobKey);
        BlobStorage.AddReadSas(builder, blobKey.Resource);
        return new(servers[0], catalog, redis, blobs);
    }

    private static Infrastructure AddLocalProcesses(IDistributedApplicationBuilder builder, LocalDataRoot dataRoot)
    {
        var postgresBin = builder.Configuration["LocalInfrastructure:PostgresBin"] ?? LocalPrerequisites.DefaultPostgresBin;
        LocalPrerequisites.EnsurePresent(postgresBin);
        dataRoot.EnsureExists();
        var maxConnections = builder.Configuration.GetValue("LocalInfrastructure:MaxConnections", ServerTopology.MaxConnections);
        var archiving = builder.Configuration.GetValue("LocalInfrastructure:Archiving", true);
        var servers = ServerTopology.Servers.Select(spec =>
        {
            var root = dataRoot.Combine($"{spec.Name}-tablespaces"); // beside the data folder: a tablespace may not live inside it
            var archive = archiving ? dataRoot.Combine($"{spec.Name}-archive") : null; // pgBackRest's repository, logs and scratch
            return builder.AddLocalPostgres(spec.Name, dataRoot, postgresBin, maxConnections, root, archive)
                .WithAnnotation(new TablespaceRootAnnotation(root))
                .WithAnnotation(new MaxConnectionsAnnotation(maxConnections));
        }).ToList();
        var catalog = servers[0].AddDatabase(ResourceNames.Catalog); // the first server holds the catalog (ServerTopology)
        var redis = builder.AddLocalRedis(ResourceNames.Redis, dataRoot);
        var azuriteBin = builder.Configuration["LocalInfrastructure:AzuriteBin"]
                         ?? Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", LocalPrerequisites.DefaultAzuriteBin));
        LocalPrerequisites.EnsureAzurite(azuriteBin);
        var blobs = builder.AddLocalAzurite(ResourceNames.Blobs, dataRoot, azuriteBin);
        return new(servers[0], catalog, redis, blobs);
    }

}
