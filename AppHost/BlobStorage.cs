using System.Net.Sockets;
using System.Security.Cryptography;
using Aspire.Hosting.ApplicationModel;
using Azure.Storage;
using Azure.Storage.Sas;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TenantAspire.AppHost.Local;

namespace TenantAspire.AppHost;

/// <summary>
/// The backup store: Azure Blob Storage's API, served by Azurite in both infrastructure modes (an npm install run as a process
/// locally, the Azurite image in publish mode). Its account key is generated (kept in the data folder locally, a generated
/// parameter when published), never Azurite's well-known development key; the services get a standard storage connection string.
/// </summary>
public static class BlobStorage
{
    public const string Account = "tenantaspire";
    public const string KeyParameter = "blobs-key";
    /// <summary>The API's credential: a read-and-list account SAS (the API downloads exports and checks a backup's checksum).</summary>
    public const string ReadSasParameter = "blobs-read-sas";
    /// <summary>How long a minted read SAS is valid; minted again at every start of the AppHost.</summary>
    private static readonly TimeSpan ReadSasLifetime = TimeSpan.FromDays(365);
    internal const string EndpointName = "blob";

    /// <summary>
    /// A storage connection string the Azure SDK reads: a path-style endpoint, as Azurite serves it. The host is an IP address on
    /// purpose: the SDK reads the account from the path only for IP hosts, and with "localhost" it would take the account for a
    /// container (blobs would land in the wrong place).
    /// </summary>
    public static ReferenceExpression ConnectionString(EndpointReference endpoint, ParameterResource key) => ReferenceExpression.Create(
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={key};BlobEndpoint=http://{endpoint.Property(EndpointProperty.IPV4Host)}:{endpoint.Property(EndpointProperty.Port)}/{Account};");

    /// <summary>
    /// The API's connection string: the same endpoint with a read-only SAS instead of the account key, so a compromised API can
    /// neither write nor delete a backup (only the worker holds the key).
    /// </summary>
    public static ReferenceExpression ReadOnlyConnectionString(EndpointReference endpoint, ParameterResource sas) => ReferenceExpression.Create(
        $"BlobEndpoint=http://{endpoint.Property(EndpointProperty.IPV4Host)}:{endpoint.Property(EndpointProperty.Port)}/{Account};SharedAccessSignature={sas}");

    /// <summary>
    /// The read SAS parameter, minted from the account key when the AppHost runs. Published, it is an input (a manifest cannot
    /// compute an HMAC): the deployment supplies a read+list SAS made from <c>blobs-key</c> (docs/operations.md says how).
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddReadSas(IDistributedApplicationBuilder builder, ParameterResource key) =>
        builder.AddParameter(ReadSasParameter,
            () => MintReadSas(key.GetValueAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult()
                              ?? throw new InvalidOperationException($"{KeyParameter} has no value")),
            publishValueAsDefault: false, secret: true);

    /// <summary>An account SAS for the blob service: read and list, on containers and blobs, nothing else.</summary>
    public static string MintReadSas(string key)
    {
        var sas = new AccountSasBuilder(AccountSasPermissions.Read | AccountSasPermissions.List, DateTimeOffset.UtcNow + ReadSasLifetime,
            AccountSasServices.Blobs, AccountSasResourceTypes.Container | AccountSasResourceTypes.Object)
        {
            Protocol = SasProtocol.HttpsAndHttp, // Azurite serves plain http here
        };
        return sas.ToSasQueryParameters(new StorageSharedKeyCredential(Account, key)).ToString();
    }

    /// <summary>Azurite's account list: <c>name:key</c> (environment only).</summary>
    public static ReferenceExpression Accounts(ParameterResource key) => ReferenceExpression.Create($"{Account}:{key}");

    public static string GenerateKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Healthy once the blob port accepts connections (Azurite has no health endpoint).</summary>
    internal static void AddHealthCheck(IDistributedApplicationBuilder builder, string key, IResourceWithEndpoints resource)
    {
        builder.Services.AddHealthChecks().AddAsyncCheck(key, async ct =>
        {
            var endpoint = new EndpointReference(resource, EndpointName);
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(endpoint.Host, endpoint.Port, ct);
                return HealthCheckResult.Healthy();
            }
            catch (SocketException e)
            {
                return HealthCheckResult.Unhealthy(e.Message);
            }
        });
    }
}

/// <summary>Azurite's image (publish mode).</summary>
public sealed class AzuriteContainerResource(string name, ParameterResource key) : ContainerResource(name), IResourceWithConnectionString
{
    public ParameterResource Key { get; } = key;

    public ReferenceExpression ConnectionStringExpression => BlobStorage.ConnectionString(new(this, BlobStorage.EndpointName), Key);
}

public static class AzuriteExtensions
{
    public const string Image = "mcr.microsoft.com/azure-storage/azurite";
    public const string ImageTag = "3.35.0";

    public static IResourceBuilder<AzuriteContainerResource> AddAzuriteContainer(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> key)
    {
        var resource = new AzuriteContainerResource(name, key.Resource);
        BlobStorage.AddHealthCheck(builder, $"{name}_check", resource);
        return builder.AddResource(resource)
            .WithImage(Image, ImageTag)
            .WithArgs("azurite-blob", "--blobHost", "0.0.0.0", "--blobPort", "10000", "--location", "/data", "--skipApiVersionCheck", "--loose", "--disableTelemetry")
            .WithEndpoint(targetPort: 10000, name: BlobStorage.EndpointName, scheme: "http")
            .WithEnvironment("AZURITE_ACCOUNTS", BlobStorage.Accounts(key.Resource))
            .WithVolume($"tenantaspire-{name}-data", "/data")
            .WithHealthCheck($"{name}_check");
    }
}
