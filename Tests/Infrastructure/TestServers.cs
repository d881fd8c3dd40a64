namespace TenantAspire.Tests.Infrastructure;

/// <summary>
/// The server topology for a service a test starts by itself (in process or as a child process): the stack's first server only,
/// standard tier, as the AppHost would hand it. <paramref name="separator"/> is ":" for configuration keys, "__" for environment variables.
/// </summary>
public static class TestServers
{
    public static Dictionary<string, string?> Topology(string postgresConnectionString, string separator = ":") => new()
    {
        [$"ConnectionStrings{separator}postgres"] = postgresConnectionString,
        [$"Servers{separator}Catalog"] = "postgres",
        [$"Servers{separator}Pool{separator}postgres{separator}Tiers{separator}0"] = "Standard",
        [$"Servers{separator}Pool{separator}postgres{separator}MaxConnections"] = "200",
        [$"Servers{separator}Pool{separator}postgres{separator}ReservedConnections"] = "100",
    };
}
