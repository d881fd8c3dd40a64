using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Servers;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>
/// How many tenant migrations a rollout runs at once on a server: the rollout's own setting, else the configured one, else a share
/// of the servers' connections — one in twenty of the smallest server's <c>max_connections</c>, between 2 and 16 — since each
/// migration holds one connection of its own next to the API's budget. The cap applies per server (RolloutStore.ClaimAsync).
/// </summary>
public sealed class RolloutParallelism(ServerResolver servers, IOptions<MigrationOptions> migrations)
{
    public ValueTask<int> ResolveAsync(SchemaRollout rollout, CancellationToken ct) => ValueTask.FromResult(Resolve(rollout));

    private int Resolve(SchemaRollout rollout)
    {
        if (rollout.Parallelism > 0)
        {
            return rollout.Parallelism;
        }
        if (migrations.Value.Parallelism > 0)
        {
            return migrations.Value.Parallelism;
        }
        return Derive(servers.Names.Min(s => servers.Definition(s).MaxConnections));
    }

    public static int Derive(int maxConnections) => Math.Clamp(maxConnections / 20, 2, 16);
}
