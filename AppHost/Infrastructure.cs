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
        var blobKey = builder.AddParameter(BlobStorage.KeyParameter, new GenerateParameterDefault { MinLength = 44, Special = false }, secret: true);
        var authority = builder.AddParameter(BlobStorage.AuthorityParameter);
        var blobs = builder.AddAzuriteContainer(ResourceNames.Blobs, blobKey, authority); // first: the servers archive into it
        BlobStorage.AddReadSas(builder, blobKey.Resource);
        var blobEndpoint = new EndpointReference(blobs.Resource, BlobStorage.EndpointName);
        var servers = ServerTopology.Servers.Select(spec =>
        {
            var root = ServerTopology.ContainerTablespaceRoot;
            // The image with pgBackRest (Containers/postgres): WAL archived into the backup store, base backups taken in the container.
            var server = builder.AddPostgres(spec.Name).WithDockerfile(Path.Combine(builder.AppHostDirectory, "Containers", "postgres"))
                .WithDataVolume($"tenantaspire-{spec.Name}-data");
            // A volume per storage class (premium: put it on the fast disk). Docker creates a volume's mount point as root, so the
            // entrypoint hands the folders to postgres before the image's own entrypoint starts the server.
            foreach (var storageClass in Tenancy.Servers.StorageClasses.All)
            {
                server.WithVolume($"tenantaspire-{spec.Name}-{storageClass}", $"{root}/{storageClass}");
            }
            server.WithEntrypoint("/bin/sh").WithArgs("-c",
                $"mkdir -p {root}/standard {root}/premium && chown -R postgres:postgres {root} && exec archive-entrypoint.sh postgres "
                + $"-c max_connections={ServerTopology.MaxConnections} " + string.Join(' ', ServerTopology.ReplicationSettings.Select(s => "-c " + s)))
                .WithEnvironment("ARCHIVE_STANZA", spec.Name)
                .WithEnvironment("ARCHIVE_REPO_HOST", blobEndpoint.Property(EndpointProperty.Host))
                .WithEnvironment("ARCHIVE_REPO_PORT", blobEndpoint.Property(EndpointProperty.TargetPort))
                .WithEnvironment("ARCHIVE_REPO_ACCOUNT", BlobStorage.Account)
                .WithEnvironment("ARCHIVE_REPO_CONTAINER", Tenancy.Servers.ServerArchive.RepositoryContainer)
                .WithEnvironment("ARCHIVE_REPO_CA", authority)
                .WithEnvironment("ARCHIVE_RETENTION_DAYS", ArchiveSettings.PublishedRetentionDays)
                .WithEnvironment("PG_ARCHIVE_TIMEOUT", ArchiveSettings.ArchiveTimeout)
                .WithEnvironment(Tenancy.Servers.ServerArchive.RepositoryKeyVariable, blobKey)
                .WaitFor(blobs);
            return server.WithAnnotation(new TablespaceRootAnnotation(root))
                .WithAnnotation(new MaxConnectionsAnnotation(ServerTopology.MaxConnections));
        }).ToList();
        var catalog = servers[0].AddDatabase(ResourceNames.Catalog); // the first server holds the catalog (ServerTopology)
        var redis = builder.AddRedis(ResourceNames.Redis).WithDataVolume("tenantaspire-redis-data");
        return new(servers[0], catalog, redis, blobs);
    }

    private static Infrastructure AddLocalProcesses(IDistributedApplicationBuilder builder, LocalDataRoot dataRoot)
    {
        var postgresBin = builder.Configuration["LocalInfrastructure:PostgresBin"] ?? LocalPrerequisites.DefaultPostgresBin;
        LocalPrerequisites.EnsurePresent(postgresBin);
        dataRoot.EnsureExists();
        var maxConnections = builder.Configuration.GetValue("LocalInfrastructure:MaxConnections", ServerTopology.MaxConnections);
        var archiving = builder.Configuration.GetValue("LocalInfrastructure:Archiving", true);
        var azuriteBin = builder.Configuration["LocalInfrastructure:AzuriteBin"]
                         ?? Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", LocalPrerequisites.DefaultAzuriteBin));
        LocalPrerequisites.EnsureAzurite(azuriteBin);
        var blobs = builder.AddLocalAzurite(ResourceNames.Blobs, dataRoot, azuriteBin); // first: the servers archive into it
        var servers = ServerTopology.Servers.Select(spec =>
        {
            var root = dataRoot.Combine($"{spec.Name}-tablespaces"); // beside the data folder: a tablespace may not live inside it
            var archive = archiving ? dataRoot.Combine($"{spec.Name}-archive") : null; // pgBackRest's configuration, logs and scratch
            return builder.AddLocalPostgres(spec.Name, dataRoot, postgresBin, maxConnections, root, archive, blobs)
                .WithAnnotation(new TablespaceRootAnnotation(root))
                .WithAnnotation(new MaxConnectionsAnnotation(maxConnections));
        }).ToList();
        var catalog = servers[0].AddDatabase(ResourceNames.Catalog); // the first server holds the catalog (ServerTopology)
        var redis = builder.AddLocalRedis(ResourceNames.Redis, dataRoot);
        return new(servers[0], catalog, redis, blobs);
    }

}
