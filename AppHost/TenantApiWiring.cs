using Aspire.Hosting.ApplicationModel;

namespace TenantAspire.AppHost;

/// <summary>
/// What a tenant-api process is connected to: the catalog as the API's least-privilege login (never the superuser), Redis, the
/// backup store, the key ring's encryption certificate, the development signing key in run mode, and the worker it waits for (its bootstrap creates
/// that login). One place, used by the AppHost for <c>tenant-api</c> and by the tests and benchmarks for extra API replicas, so a
/// replica can never be wired differently (for instance as the superuser) by accident.
/// </summary>
public static class TenantApiWiring
{
    public static IResourceBuilder<ProjectResource> WithTenantApiBackends(this IResourceBuilder<ProjectResource> api)
    {
        var builder = api.ApplicationBuilder;
        T Find<T>(string name) where T : IResource => builder.Resources.OfType<T>().Single(r => r.Name == name);
        IResourceBuilder<T> Use<T>(string name) where T : IResource => builder.CreateResourceBuilder(Find<T>(name));

        var postgres = new EndpointReference(Find<IResourceWithEndpoints>(ServerTopology.Servers[0].Name), "tcp");
        var catalog = Use<IResourceWithConnectionString>(ResourceNames.Catalog);
        var redis = Use<IResourceWithConnectionString>(ResourceNames.Redis);
        // The API reads the store (export downloads, a restore's checksum) with a read-only SAS; the worker alone holds the key.
        var blobs = Use<IResourceWithConnectionString>(ResourceNames.Blobs);
        var blobEndpoint = new EndpointReference(Find<IResourceWithEndpoints>(ResourceNames.Blobs), BlobStorage.EndpointName);
        api.WithEnvironment("ConnectionStrings__catalog",
                CatalogRoles.ApiConnectionString(postgres, ResourceNames.Catalog, Find<ParameterResource>(CatalogRoles.ApiPasswordParameter)))
            .WaitFor(catalog)
            .WithReference(redis).WaitFor(redis)
            .WithEnvironment("ConnectionStrings__" + ResourceNames.Blobs,
                BlobStorage.ReadOnlyConnectionString(blobEndpoint, Find<ParameterResource>(BlobStorage.ReadSasParameter)))
            .WaitFor(blobs)
            .WithBlobStoreAuthority()
            .WithEnvironment("DataProtection__KeyEncryptionCertificate", Use<ParameterResource>(KeyEncryptionCertificate.ParameterName))
            .WaitFor(Use<ProjectResource>(ResourceNames.Worker))
            .WithAnnotation(new TenantApiAnnotation())
            .WithTenantServers(admin: false);
        if (builder.Resources.OfType<ParameterResource>().Any(p => p.Name == DevTokenCommand.SigningKeySecret))
        {
            api.WithEnvironment("Auth__DevSigningKey", Use<ParameterResource>(DevTokenCommand.SigningKeySecret));
        }
        return api;
    }
}
