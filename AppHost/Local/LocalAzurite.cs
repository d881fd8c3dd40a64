using Aspire.Hosting.ApplicationModel;

namespace TenantAspire.AppHost.Local;

/// <summary>
/// Azurite's blob service from npm (<c>.tools/azurite</c>), run as an Aspire executable over HTTPS with the data folder's generated
/// certificate (local infrastructure mode).
/// </summary>
public sealed class LocalAzuriteResource(string name, string command, string workingDirectory, ParameterResource key, LocalStoreCertificate tls)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public ParameterResource Key { get; } = key;

    public LocalStoreCertificate Tls { get; } = tls;

    public ReferenceExpression ConnectionStringExpression => BlobStorage.ConnectionString(new(this, BlobStorage.EndpointName), Key);
}

public static class LocalAzuriteExtensions
{
    public static IResourceBuilder<LocalAzuriteResource> AddLocalAzurite(
        this IDistributedApplicationBuilder builder, string name, LocalDataRoot dataRoot, string azuriteBin)
    {
        var key = builder.AddParameter(BlobStorage.KeyParameter, dataRoot.ReadOrCreateSecret(BlobStorage.KeyParameter, BlobStorage.GenerateKey),
            secret: true);
        var tls = LocalStoreCertificate.Ensure(dataRoot);
        var authority = builder.AddParameter(BlobStorage.AuthorityParameter, tls.AuthorityPem);
        var script = Path.Combine(AppContext.BaseDirectory, "Local", "run-azurite.sh");
        var resource = new LocalAzuriteResource(name, "bash", dataRoot.Path, key.Resource, tls);
        BlobStorage.AddHealthCheck(builder, $"{name}_check", resource, authority.Resource);
        BlobStorage.AddReadSas(builder, key.Resource);
        return builder.AddResource(resource)
            .WithArgs(script)
            // Not proxied: with Azurite stopped, a connection is refused at once (a proxy would accept it and leave the SDK hanging).
            .WithEndpoint(name: BlobStorage.EndpointName, scheme: "https", env: "AZURITE_PORT", isProxied: false)
            .WithEnvironment("AZURITE_BIN", azuriteBin)
            .WithEnvironment("AZURITE_DIR", dataRoot.Combine(name))
            .WithEnvironment("AZURITE_ACCOUNTS", BlobStorage.Accounts(key.Resource))
            .WithEnvironment("AZURITE_CERT", tls.CertificateFile)
            .WithEnvironment("AZURITE_KEY", tls.KeyFile)
            .WithHealthCheck($"{name}_check")
            .WithIconName("Storage");
    }
}
