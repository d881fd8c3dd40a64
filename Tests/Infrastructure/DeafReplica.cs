using System.Globalization;
using TenantAspire.AppHost;
using TenantAspire.Tenancy.Auth;
using TenantAspire.TestSupport;

namespace TenantAspire.Tests.Infrastructure;

/// <summary>
/// One more API replica, its own process, on the stack's catalog and servers, whose Redis is unreachable: it caches routes in
/// its own memory and never hears the backplane, as a replica does whose invalidation message is late or was lost.
/// </summary>
public sealed class DeafReplica : IAsyncDisposable
{
    private readonly ServiceProcess _process;
    private readonly Uri _address;
    private readonly string _signingKey;

    private DeafReplica(ServiceProcess process, Uri address, string signingKey) =>
        (_process, _address, _signingKey) = (process, address, signingKey);

    public static async Task<DeafReplica> StartAsync(AspireAppFixture fixture)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = address.ToString(),
            ["ConnectionStrings__catalog"] = await fixture.ConnectionStringAsync("catalog"),
            ["ConnectionStrings__redis"] = "127.0.0.1:1,abortConnect=false,connectTimeout=300", // nothing listens on port 1
            ["ConnectionStrings__blobs"] = await fixture.ConnectionStringAsync("blobs"),
            ["Blobs__CaCertificate"] = await fixture.BlobStoreAuthorityAsync(),
            ["Auth__DevSigningKey"] = fixture.SigningKey,
            ["DataProtection__KeyEncryptionCertificate"] = fixture.KeyEncryptionCertificate, // the tenants' passwords are the stack's
            // Not "tenant-api": the stack's tests count that application's backends in pg_stat_activity.
            ["OTEL_SERVICE_NAME"] = "tenant-api-deaf",
            ["Servers__Catalog"] = ServerTopology.Servers[0].Name,
        };
        foreach (var server in ServerTopology.Servers)
        {
            environment[$"ConnectionStrings__{server.Name}"] = await fixture.ConnectionStringAsync(server.Name);
            for (var i = 0; i < server.Tiers.Length; i++)
            {
                environment[$"Servers__Pool__{server.Name}__Tiers__{i}"] = server.Tiers[i].ToString();
            }
            environment[$"Servers__Pool__{server.Name}__MaxConnections"] = ServerTopology.MaxConnections.ToString(CultureInfo.InvariantCulture);
            environment[$"Servers__Pool__{server.Name}__ReservedConnections"] = server.ReservedConnections.ToString(CultureInfo.InvariantCulture);
        }
        var replica = new DeafReplica(ServiceProcess.Start("TenantApi", environment), address, fixture.SigningKey);
        using var probe = new HttpClient { BaseAddress = address };
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                return (await probe.GetAsync("/health")).IsSuccessStatusCode; // Degraded (Redis) still answers 200
            }
            catch (HttpRequestException)
            {
                return false; // not listening yet
            }
        }, TimeSpan.FromSeconds(60), "the deaf replica is up");
        return replica;
    }

    /// <summary>A client of this replica with a tenant admin's token for <paramref name="slug"/>.</summary>
    public HttpClient TenantAdmin(string slug)
    {
        var client = new HttpClient { BaseAddress = _address };
        client.DefaultRequestHeaders.Authorization = new("Bearer", DevTokenIssuer.Mint(_signingKey, slug, [TenantClaims.TenantAdmin], TimeSpan.FromMinutes(10)));
        return client;
    }

    public ValueTask DisposeAsync()
    {
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
