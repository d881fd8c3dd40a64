using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace TenantAspire.ProvisioningWorker.Provisioning;

public sealed class InjectedFaultException(string step, bool permanent)
    : Exception($"injected {(permanent ? "permanent" : "transient")} failure at step '{step}'")
{
    public bool Permanent { get; } = permanent;
}

/// <summary>
/// Test hook (off unless Provisioning:FaultInjection is true): a Redis key <c>fault:{slug}:{step}</c> holding N makes that step
/// throw N more times; the value "permanent" makes it fail for good. Real steps and real Postgres otherwise.
/// </summary>
public sealed class FaultInjector(IOptions<ProvisioningOptions> options, IConnectionMultiplexer redis)
{
    public async Task ThrowIfInjectedAsync(string slug, string step)
    {
        if (!options.Value.FaultInjection)
        {
            return;
        }
        var db = redis.GetDatabase();
        var key = $"fault:{slug}:{step}";
        var value = await db.StringGetAsync(key);
        if (value.IsNullOrEmpty)
        {
            return;
        }
        if (value == "permanent")
        {
            throw new InjectedFaultException(step, permanent: true);
        }
        if (await db.StringDecrementAsync(key) >= 0)
        {
            throw new InjectedFaultException(step, permanent: false);
        }
    }
}
