using System.Globalization;
using TenantAspire.AppHost;
using TenantAspire.Tenancy.Auth;
using TenantAspire.TenantApi.Tenants;
using TenantAspire.TestSupport;

namespace TenantAspire.Tests.Infrastructure;

/// <summary>
/// One more API replica, in the test process, on the stack's catalog and servers, whose Redis is unreachable: it caches routes
/// in its own memory and never hears the backplane, as a replica does whose invalidation message is late or was lost.
/// </summary>
public sealed class DeafReplica(Dictionary<string, string?> settings, string signingKey) : SettingsWebHost<TenantResolutionFilter>(settings)
{
    public static async Task<DeafReplica> StartAsync(AspireAppFixture fixture)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:catalog"] = await fixture.ConnectionStringAsync("catalog"),
            ["ConnectionStrings:redis"] = "127.0.0.1:1,abortConnect=false,connectTimeout=300", // nothing listens on port 1
            ["ConnectionStrings:blobs"] = await fixture.ConnectionStringAsync("blobs"),
            ["Blobs:CaCertificate"] = await fixture.BlobStoreAuthorityAsync(),
            ["Auth:DevSigningKey"] = fixture.SigningKey,
            ["DataProtection:KeyEncryptionCertificate"] = fixture.KeyEncryptionCertificate, // the tenants' passwords are the stack's
            // Not "tenant-api": the stack's tests count that application's backends in pg_stat_activity.
            ["OTEL_SERVICE_NAME"] = "tenant-api-deaf",
            ["Servers:Catalog"] = ServerTopology.Servers[0].Name,
        };
        foreach (var server in ServerTopology.Servers)
        {
            settings[$"ConnectionStrings:{server.Name}"] = await fixture.ConnectionStringAsync(server.Name);
            for (var i = 0; i < server.Tiers.Length; i++)
            {
                settings[$"Servers:Pool:{server.Name}:Tiers:{i}"] = server.Tiers[i].ToString();
            }
            settings[$"Servers:Pool:{server.Name}:MaxConnections"] = ServerTopology.MaxConnections.ToString(CultureInfo.InvariantCulture);
            settings[$"Servers:Pool:{server.Name}:ReservedConnections"] = server.ReservedConnections.ToString(CultureInfo.InvariantCulture);
        }
        return new DeafReplica(settings, fixture.SigningKey);
    }

    /// <summary>A client of this replica with a tenant admin's token for <paramref name="slug"/>.</summary>
    public HttpClient TenantAdmin(string slug)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", DevTokenIssuer.Mint(signingKey, slug, [TenantClaims.TenantAdmin], TimeSpan.FromMinutes(10)));
        return client;
    }
}
