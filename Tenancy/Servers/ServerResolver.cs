using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;

namespace TenantAspire.Tenancy.Servers;

/// <summary>A tenant's server is not one this process knows: a configuration error, never a reason to try another server.</summary>
public sealed class UnknownServerException(string server)
    : InvalidOperationException($"Server '{server}' is not configured here (Servers:Pool:{server} and ConnectionStrings:{server}).");

/// <summary>
/// The one place that turns a server name into where to connect: <c>ConnectionStrings:{name}</c> of a server listed in
/// <see cref="ServerOptions.Pool"/>. No fallbacks: an unknown server is an error, so a missing reference fails loudly at the
/// first use (and at start, <see cref="Validate"/>) instead of silently connecting somewhere else. The API's connection strings
/// carry only host and port (it connects as each tenant's role); the worker's carry the server's admin login.
/// </summary>
public sealed class ServerResolver(IOptions<ServerOptions> options, IConfiguration configuration)
{
    public ServerOptions Options => options.Value;

    /// <summary>Every configured server name, in a stable order.</summary>
    public IReadOnlyList<string> Names => [.. options.Value.Pool.Keys.Order(StringComparer.Ordinal)];

    public bool IsKnown(string server) => options.Value.Pool.ContainsKey(server);

    public ServerDefinition Definition(string server) =>
        options.Value.Pool.TryGetValue(server, out var definition) ? definition : throw new UnknownServerException(server);

    /// <summary>A fresh builder on the server's endpoint (and login, where this process has one); the caller sets the rest.</summary>
    public NpgsqlConnectionStringBuilder Endpoint(string server)
    {
        if (!IsKnown(server) || configuration.GetConnectionString(server) is not { Length: > 0 } connectionString)
        {
            throw new UnknownServerException(server);
        }
        return new NpgsqlConnectionStringBuilder(connectionString);
    }

    /// <summary>This process's share of the server's tenant-connection budget (every API replica gets the same share).</summary>
    public int BudgetShare(string server) => Definition(server).ConnectionBudget / Math.Max(1, options.Value.ApiReplicas);

    /// <summary>Why the configuration cannot work, or null.</summary>
    public static string? Validate(ServerOptions options, IConfiguration configuration)
    {
        if (options.Pool.Count == 0)
        {
            return "Servers:Pool lists no server.";
        }
        if (!options.Pool.ContainsKey(options.Catalog))
        {
            return $"Servers:Catalog '{options.Catalog}' is not in Servers:Pool.";
        }
        foreach (var (name, server) in options.Pool)
        {
            if (string.IsNullOrEmpty(configuration.GetConnectionString(name)))
            {
                return $"Server '{name}' has no ConnectionStrings:{name}.";
            }
            if (server.Tiers.Count == 0 || server.Capacity < 0 || server.ConnectionBudget <= 0)
            {
                return $"Server '{name}' needs tiers, a capacity ≥ 0 and MaxConnections above ReservedConnections.";
            }
        }
        return options.ApiReplicas < 1 ? "Servers:ApiReplicas must be at least 1." : null;
    }
}
