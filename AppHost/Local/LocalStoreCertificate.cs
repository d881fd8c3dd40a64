using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TenantAspire.AppHost.Local;

/// <summary>
/// The backup store's TLS in local mode (pgBackRest 2.45 reaches Azure storage over HTTPS only): an authority generated once per
/// data folder and a server certificate it signs for 127.0.0.1, in <c>{data root}/tls/</c>. The authority's certificate is public
/// (mode 644: the postgres user's pgBackRest reads it); both private keys stay readable by the AppHost's user only. Every client
/// trusts that authority explicitly (pgBackRest's <c>repo1-storage-ca-file</c>, the services' <c>Blobs:CaCertificate</c>); no
/// client turns verification off.
/// </summary>
public sealed class LocalStoreCertificate
{
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    private LocalStoreCertificate(string folder) => Folder = folder;

    public string Folder { get; }
    public string AuthorityFile => Path.Combine(Folder, "ca.pem");
    public string CertificateFile => Path.Combine(Folder, "blobs.pem");
    public string KeyFile => Path.Combine(Folder, "blobs-key.pem");
    public string AuthorityPem => File.ReadAllText(AuthorityFile);

    /// <summary>The files in <paramref name="dataRoot"/>, generated when missing or when the server certificate nears its end.</summary>
    public static LocalStoreCertificate Ensure(LocalDataRoot dataRoot)
    {
        var store = new LocalStoreCertificate(dataRoot.Combine("tls"));
        if (!store.IsCurrent())
        {
            store.Generate();
        }
        return store;
    }

    private bool IsCurrent()
    {
        if (!File.Exists(AuthorityFile) || !File.Exists(CertificateFile) || !File.Exists(KeyFile))
        {
            return false;
        }
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(CertificateFile)); // the certificate alone, not its key
        return certificate.NotAfter.ToUniversalTime() - DateTime.UtcNow > RenewBefore;
    }

    private void Generate()
    {
        Directory.CreateDirectory(Folder);
        var now = DateTimeOffset.UtcNow.AddDays(-1);
        using var authorityKey = RSA.Create(3072);
        var authorityRequest = new CertificateRequest("CN=TenantAspire local backup store authority", authorityKey, HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        authorityRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, false));
        using var authority = authorityRequest.CreateSelfSigned(now, now.AddYears(10));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        // pgBackRest 2.45 matches the host only against DNS names (an IP address entry alone fails with "unable to find hostname").
        names.AddDnsName("127.0.0.1");
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server auth
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        using var server = serverRequest.Create(authority, now, now.AddYears(2), RandomNumberGenerator.GetBytes(16));

        // Keys first, private from their first byte; the authority's key is not kept (a new server certificate means a new authority).
        WritePrivate(KeyFile, serverKey.ExportPkcs8PrivateKeyPem());
        WritePublic(CertificateFile, server.ExportCertificatePem());
        WritePublic(AuthorityFile, authority.ExportCertificatePem());
    }

    private static void WritePrivate(string path, string pem)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
        writer.Write(pem);
    }

    private static void WritePublic(string path, string pem)
    {
        File.WriteAllText(path, pem);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }
}
