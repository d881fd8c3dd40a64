using System.Net.Sockets;
using System.Security.Cryptography;
using Aspire.Hosting.ApplicationModel;
using Azure.Storage;
using Azure.Storage.Sas;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TenantAspire.Tenancy.Backups;
using TenantAspire.AppHost.Local;

namespace TenantAspire.AppHost;

/// <summary>
/// The backup store: Azure Blob Storage's API, served by Azurite in both infrastructure modes (an npm install run as a process
/// locally, the Azurite image in publish mode), over HTTPS (pgBackRest's Azure repository requires it). Its account key is
/// generated (kept in the data folder locally, a generated parameter when published), never Azurite's well-known development key;
/// the services get a standard storage connection string and the store's certificate authority (<c>Blobs__CaCertificate</c>).
/// </summary>
public static class BlobStorage
{
    public const string Account = "tenantaspire";
    public const string KeyParameter = "blobs-key";
    /// <summary>The API's credential: a read-and-list account SAS (the API downloads exports and checks a backup's checksum).</summary>
    public const string ReadSasParameter = "blobs-read-sas";
    /// <summary>How long a minted read SAS is valid; minted again at every start of the AppHost.</summary>
    private static readonly TimeSpan ReadSasLifetime = TimeSpan.FromDays(365);
    /// <summary>The store's certificate authority (PEM, public): generated locally, an input when published.</summary>
    public const string AuthorityParameter = "blobs-ca";
    internal const string EndpointName = "blob";

    /// <summary>
    /// A storage connection string the Azure SDK reads: a path-style endpoint, as Azurite serves it. The host is an IP address on
    /// purpose: the SDK reads the account from the path only for IP hosts, and with "localhost" it would take the account for a
    /// container (blobs would land in the wrong place).
    /// </summary>
    public static ReferenceExpression ConnectionString(EndpointReference endpoint, ParameterResource key) => ReferenceExpression.Create(
        $"DefaultEndpointsProtocol=https;AccountName={Account};AccountKey={key};BlobEndpoint=https://{endpoint.Property(EndpointProperty.IPV4Host)}:{endpoint.Property(EndpointProperty.Port)}/{Account};");

    /// <summary>
    /// The API's connection string: the same endpoint with a read-only SAS instead of the account key, so a compromised API can
    /// neither write nor delete a backup (only the worker holds the key).
    /// </summary>
    public static ReferenceExpression ReadOnlyConnectionString(EndpointReference endpoint, ParameterResource sas) => ReferenceExpression.Create(
        $"BlobEndpoint=https://{endpoint.Property(EndpointProperty.IPV4Host)}:{endpoint.Property(EndpointProperty.Port)}/{Account};SharedAccessSignature={sas}");

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
            Protocol = SasProtocol.Https,
        };
        return sas.ToSasQueryParameters(new StorageSharedKeyCredential(Account, key)).ToString();
    }

    /// <summary>The store's certificate authority for a service's blob client (<c>Blobs__CaCertificate</c>).</summary>
    public static IResourceBuilder<ProjectResource> WithBlobStoreAuthority(this IResourceBuilder<ProjectResource> project)
    {
        var authority = project.ApplicationBuilder.Resources.OfType<ParameterResource>().Single(p => p.Name == AuthorityParameter);
        return project.WithEnvironment(BlobStoreClients.CaCertificateKey.Replace(":", "__", StringComparison.Ordinal), authority);
    }

    /// <summary>Azurite's account list: <c>name:key</c> (environment only).</summary>
    public static ReferenceExpression Accounts(ParameterResource key) => ReferenceExpression.Create($"{Account}:{key}");

    public static string GenerateKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// Healthy once the store answers over TLS with the account key and pgBackRest's container exists (created here: pgBackRest
    /// does not create it, and a server's start reads its archive before anything else could). Azurite has no health endpoint.
    /// </summary>
    internal static void AddHealthCheck<T>(IDistributedApplicationBuilder builder, string key, T resource, ParameterResource authority)
        where T : IResourceWithEndpoints, IResourceWithConnectionString
    {
        var ready = false;
        builder.Services.AddHealthChecks().AddAsyncCheck(key, async ct =>
        {
            var endpoint = new EndpointReference(resource, EndpointName);
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(endpoint.Host, endpoint.Port, ct);
                if (!ready)
                {
                    var client = BlobStoreClients.Create((await resource.ConnectionStringExpression.GetValueAsync(ct))!,
                        await authority.GetValueAsync(ct));
                    await client.GetBlobContainerClient(Tenancy.Servers.ServerArchive.RepositoryContainer).CreateIfNotExistsAsync(cancellationToken: ct);
                    ready = true;
                }
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is SocketException or Azure.RequestFailedException or HttpRequestException)
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
    public const string TlsCertificateParameter = "blobs-tls-certificate";
    public const string TlsKeyParameter = "blobs-tls-key";

    /// <summary>
    /// Published, the store's TLS is an input (a manifest cannot sign a certificate): <c>blobs-tls-certificate</c> and
    /// <c>blobs-tls-key</c> (PEM, for the name the services reach the store by) and <c>blobs-ca</c>, the authority that signed it
    /// (docs/operations.md says how to make them). They reach Azurite through the environment and are written to files it reads.
    /// </summary>
    public static IResourceBuilder<AzuriteContainerResource> AddAzuriteContainer(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> key,
        IResourceBuilder<ParameterResource> authority)
    {
        var resource = new AzuriteContainerResource(name, key.Resource);
        var certificate = builder.AddParameter(TlsCertificateParameter);
        var tlsKey = builder.AddParameter(TlsKeyParameter, secret: true);
        BlobStorage.AddHealthCheck(builder, $"{name}_check", resource, authority.Resource);
        return builder.AddResource(resource)
            .WithImage(Image, ImageTag)
            .WithEntrypoint("/bin/sh")
            .WithArgs("-c", "umask 077 && mkdir -p /tmp/tls && printf '%s\\n' \"$AZURITE_TLS_CERTIFICATE\" > /tmp/tls/cert.pem"
                            + " && printf '%s\\n' \"$AZURITE_TLS_KEY\" > /tmp/tls/key.pem && exec azurite-blob --blobHost 0.0.0.0 --blobPort 10000"
                            + " --location /data --cert /tmp/tls/cert.pem --key /tmp/tls/key.pem --skipApiVersionCheck --loose --disableTelemetry")
            .WithEndpoint(targetPort: 10000, name: BlobStorage.EndpointName, scheme: "https")
            .WithEnvironment("AZURITE_ACCOUNTS", BlobStorage.Accounts(key.Resource))
            .WithEnvironment("AZURITE_TLS_CERTIFICATE", certificate)
            .WithEnvironment("AZURITE_TLS_KEY", tlsKey)
            .WithVolume($"tenantaspire-{name}-data", "/data")
            .WithHealthCheck($"{name}_check");
    }
}
