using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TenantAspire.AppHost;

/// <summary>
/// The key-encryption certificate that protects the Data Protection key ring at rest (the ring sits in the catalog, next to the
/// tenant passwords it protects: without this, reading the catalog is enough to decrypt them). In run mode the AppHost generates
/// a self-signed one per data folder; published, it is a secret parameter the operator supplies (base64 PKCS#12, no password).
/// </summary>
public static class KeyEncryptionCertificate
{
    public const string ParameterName = "data-protection-kek";

    /// <summary>Base64 of a fresh PKCS#12 holding a self-signed RSA-3072 certificate and its private key.</summary>
    public static string Generate()
    {
        using var rsa = RSA.Create(3072);
        var request = new CertificateRequest("CN=TenantAspire key ring", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment, critical: true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        return Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12));
    }
}
