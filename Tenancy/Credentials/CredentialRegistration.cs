using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tenancy.Credentials;

public static class CredentialRegistration
{
    /// <summary>Base64 PKCS#12 (no password) of the certificate that encrypts the key ring at rest.</summary>
    public const string KeyEncryptionCertificateKey = "DataProtection:KeyEncryptionCertificate";

    /// <param name="generatesKeys">
    /// False for the API: it only reveals passwords, so it only reads the ring (its catalog login cannot write keys anyway).
    /// </param>
    public static IHostApplicationBuilder AddTenantCredentials(this IHostApplicationBuilder builder, bool generatesKeys = true)
    {
        builder.Services.AddTenantCredentials(builder.Configuration[KeyEncryptionCertificateKey],
            allowUnprotectedRing: builder.Environment.IsDevelopment(), generatesKeys);
        return builder;
    }

    /// <summary>
    /// One key ring shared by the worker (protects) and the API (unprotects), persisted in the catalog database and, given a
    /// key-encryption certificate, encrypted there: reading the catalog alone no longer reveals any tenant's password. Outside
    /// Development a ring without that certificate is refused at start (docs/operations.md, "Secrets").
    /// </summary>
    public static IServiceCollection AddTenantCredentials(this IServiceCollection services, string? keyEncryptionCertificate,
        bool allowUnprotectedRing, bool generatesKeys = true)
    {
        var dataProtection = services.AddDataProtection()
            .SetApplicationName("TenantAspire")
            .PersistKeysToDbContext<CatalogDbContext>();
        if (!string.IsNullOrWhiteSpace(keyEncryptionCertificate))
        {
            var certificate = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(keyEncryptionCertificate), password: null);
            // Encrypt new keys with it, and decrypt with it directly (Linux has no certificate store Data Protection could search).
            dataProtection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }
        else if (!allowUnprotectedRing)
        {
            throw new InvalidOperationException(
                $"{KeyEncryptionCertificateKey} is not set: the Data Protection key ring would be stored unencrypted in the catalog. " +
                "Set it (base64 PKCS#12) or run in Development.");
        }
        if (!generatesKeys)
        {
            dataProtection.DisableAutomaticKeyGeneration();
        }
        services.AddSingleton<TenantCredentialProtector>();
        return services;
    }
}
