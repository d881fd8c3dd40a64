using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>
/// How many tenant migrations a rollout runs at once on a server: the rollout's own setting, else the configured one, else a share
/// of the server's connections — one in twenty of <c>max_connections</c>, between 2 and 16 — since each migration holds one
/// connection of its own next to the API's budget.
/// </summary>
public sealed class RolloutParallelism(ServerConnections connections, IOptions<MigrationOptions> migrations, IOptions<ProvisioningOptions> provisioning)
{
    private readonly ConcurrentDictionary<string, int> _derived = new(StringComparer.Ordinal);

    public async ValueTask<int> ResolveAsync(SchemaRollout rollout, CancellationToken ct)
    {
        if (rollout.Parallelism > 0)
        {
            return rollout.Parallelism;
        }
        if (migrations.Value.Parallelism > 0)
        {
            return migrations.Value.Parallelism;
        }
        var server = provisioning.Value.DefaultServer;
        if (_derived.TryGetValue(server, out var known))
        {
            return known;
        }
        await using var connection = await connections.OpenProvisionerAsync(server, ct);
        await using var command = new NpgsqlCommand("SELECT current_setting('max_connections')::int", connection);
        var derived = Derive((int)(await command.ExecuteScalarAsync(ct))!);
        _derived[server] = derived;
        return derived;
    }

    public static int Derive(int maxConnections) => Math.Clamp(maxConnections / 20, 2, 16);
}
