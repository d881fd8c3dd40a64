using Aspire.Hosting.ApplicationModel;

namespace TenantAspire.AppHost.Local;

/// <summary>Azurite's blob service from npm (<c>.tools/azurite</c>), run as an Aspire executable (local infrastructure mode).</summary>
public sealed class LocalAzuriteResource(string name, string command, string workingDirectory, ParameterResource key)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public ParameterResource Key { get; } = key;

    public ReferenceExpression ConnectionStringExpression => BlobStorage.ConnectionString(new(this, BlobStorage.EndpointName), Key);
}

public static class LocalAzuriteExtensions
{
    public static IResourceBuilder<LocalAzuriteResource> AddLocalAzurite(
        this IDistributedApplicationBuilder builder, string name, LocalDataRoot dataRoot, string azuriteBin)
    {
        var key = builder.AddParameter(BlobStorage.KeyParameter, dataRoot.ReadOrCreateSecret(BlobStorage.KeyParameter, BlobStorage.GenerateKey),
            secret: true);
        var script = Path.Combine(AppContext.BaseDirectory, "Local", "run-azurite.sh");
        var resource = new LocalAzuriteResource(name, "bash", dataRoot.Path, key.Resource);
        BlobStorage.AddHealthCheck(builder, $"{name}_check", resource);
        BlobStorage.AddReadSas(builder, key.Resource);
        return builder.AddResource(resource)
            .WithArgs(script)
            // Not proxied: with Azurite stopped, a connection is refused at once (a proxy would accept it and leave the SDK hanging).
            .WithEndpoint(name: BlobStorage.EndpointName, scheme: "http", env: "AZURITE_PORT", isProxied: false)
            .WithEnvironment("AZURITE_BIN", azuriteBin)
            .WithEnvironment("AZURITE_DIR", dataRoot.Combine(name))
            .WithEnvironment("AZURITE_ACCOUNTS", BlobStorage.Accounts(key.Resource))
            .WithHealthCheck($"{name}_check")
            .WithIconName("Storage");
    }
}
