using System.Security.Cryptography.X509Certificates;
using TenantAspire.AppHost.Local;

namespace TenantAspire.Tests.Unit;

/// <summary>The backup store's generated TLS: a server certificate the generated authority signs, trusted only through that authority.</summary>
public sealed class StoreCertificateTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "store-tls-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public void The_server_certificate_chains_to_the_generated_authority_names_the_loopback_address_and_keeps_its_key_private()
    {
        var tls = LocalStoreCertificate.Ensure(LocalDataRoot.Resolve(_root, _root));
        using var server = X509Certificate2.CreateFromPemFile(tls.CertificateFile, tls.KeyFile);
        using var authority = X509Certificate2.CreateFromPem(tls.AuthorityPem);
        Assert.True(server.HasPrivateKey);

        using var trusting = new X509Chain { ChainPolicy = { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck } };
        trusting.ChainPolicy.CustomTrustStore.Add(authority);
        Assert.True(trusting.Build(server), string.Join("; ", trusting.ChainStatus.Select(s => s.StatusInformation)));

        // The machine's own trust store does not know the authority: nothing trusts the store by accident.
        using var system = new X509Chain { ChainPolicy = { RevocationMode = X509RevocationMode.NoCheck } };
        Assert.False(system.Build(server));

        Assert.True(server.MatchesHostname("127.0.0.1"));
        Assert.True(server.MatchesHostname("localhost"));
        Assert.False(server.MatchesHostname("example.com"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tls.KeyFile));
            Assert.True(File.GetUnixFileMode(tls.AuthorityFile).HasFlag(UnixFileMode.OtherRead)); // pgBackRest runs as postgres
        }
    }

    [Fact]
    public void A_second_start_reuses_the_files_and_an_incomplete_set_is_made_anew()
    {
        var dataRoot = LocalDataRoot.Resolve(_root, _root);
        var first = LocalStoreCertificate.Ensure(dataRoot);
        var authority = first.AuthorityPem;
        Assert.Equal(authority, LocalStoreCertificate.Ensure(dataRoot).AuthorityPem);

        File.Delete(first.KeyFile); // an incomplete set is made anew
        Assert.NotEqual(authority, LocalStoreCertificate.Ensure(dataRoot).AuthorityPem);
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
