using TenantAspire.TenantApi.Tenants;
using TenantAspire.TestSupport;

namespace TenantAspire.Bench;

/// <summary>
/// The real API hosted inside the benchmark process (WebApplicationFactory, in-memory HTTP) against the stack's own catalog, Redis
/// and Postgres: its services (route cache, registry, resolution filter) can be timed one step at a time, and its registry driven
/// without HTTP. It only reads the catalog (no worker of its own).
/// </summary>
internal sealed class InProcessApi(Dictionary<string, string?> settings) : SettingsWebHost<TenantResolutionFilter>(settings)
{
    public static async Task<InProcessApi> StartAsync(Stack stack, string applicationName, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:catalog"] = stack.Catalog,
            ["ConnectionStrings:redis"] = await stack.ConnectionStringAsync("redis"),
            ["ConnectionStrings:blobs"] = await stack.ConnectionStringAsync("blobs"),
            ["Blobs:CaCertificate"] = await stack.ParameterAsync("blobs-ca"),
            ["ConnectionStrings:postgres"] = stack.Server,
            ["Servers:Catalog"] = "postgres",
            ["Servers:Pool:postgres:Tiers:0"] = "Standard",
            ["Servers:Pool:postgres:MaxConnections"] = "500",
            ["Servers:Pool:postgres:ReservedConnections"] = "0",
            ["Auth:DevSigningKey"] = stack.SigningKey,
            ["DataProtection:KeyEncryptionCertificate"] = await stack.ParameterAsync("data-protection-kek"),
            ["OTEL_SERVICE_NAME"] = applicationName, // its tenant connections' application_name
            ["Logging:LogLevel:Default"] = "Warning",
            ["RateLimits:Tiers:Standard:PermitsPerSecond"] = "1000000",
            ["RateLimits:Tiers:Standard:Burst"] = "1000000",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        var api = new InProcessApi(settings);
        using var client = api.CreateClient(); // starts the host
        (await client.GetAsync("/health")).EnsureSuccessStatusCode();
        return api;
    }
}
