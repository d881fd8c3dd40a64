using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;

namespace TenantAspire.Tenancy.Backups;

/// <summary>
/// Blob clients for the backup store, which is served over HTTPS. A private store (Azurite, locally and in publish mode) has a
/// certificate from its own generated authority: the client then trusts exactly that authority for this store (a custom root,
/// full chain and name checks; never "accept any certificate"), and the machine's other TLS trust is untouched. Without one, the
/// system's trust applies (a real storage account).
/// </summary>
public static class BlobStoreClients
{
    /// <summary>Configuration key of the store's certificate authority, PEM (environment: <c>Blobs__CaCertificate</c>).</summary>
    public const string CaCertificateKey = "Blobs:CaCertificate";

    public static BlobServiceClient Create(string connectionString, string? caCertificatePem, BlobClientOptions? options = null)
    {
        options ??= new BlobClientOptions();
        if (!string.IsNullOrWhiteSpace(caCertificatePem))
        {
            options.Transport = new HttpClientTransport(new HttpClient(TrustingOnly(caCertificatePem)));
        }
        return new BlobServiceClient(connectionString, options);
    }

    /// <summary>A handler whose server certificates must chain to <paramref name="caCertificatePem"/> and name the host.</summary>
    private static SocketsHttpHandler TrustingOnly(string caCertificatePem)
    {
        var authority = X509Certificate2.CreateFromPem(caCertificatePem);
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck, // a generated authority publishes no revocation list
        };
        policy.CustomTrustStore.Add(authority);
        return new SocketsHttpHandler { SslOptions = { CertificateChainPolicy = policy } };
    }
}
