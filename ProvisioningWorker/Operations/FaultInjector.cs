using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace TenantAspire.ProvisioningWorker.Operations;

public sealed class InjectedFaultException(string step, bool permanent)
    : Exception($"injected {(permanent ? "permanent" : "transient")} failure at step '{step}'")
{
    public bool Permanent { get; } = permanent;
}

/// <summary>
/// Test hook (off unless Provisioning:FaultInjection is true): a Redis key <c>fault:{catalog}:{slug}:{step}</c> (<see cref="Key"/>:
/// with the catalog's database name, since catalogs sharing a Redis each have their own <c>acme</c>) holding N makes that step
/// throw N more times; the value "permanent" makes it fail for good; "delay:{ms}" makes it that slow (a stalled step, to prove
/// that leases are renewed while a step runs). Real steps and real Postgres otherwise.
/// </summary>
public sealed class FaultInjector(IOptions<ProvisioningOptions> options, IConnectionMultiplexer redis, Tenancy.Catalog.CatalogScopedNames names)
{
    public static string Key(string catalogDatabase, string slug, string step) => $"fault:{catalogDatabase}:{slug}:{step}";

    public async Task ThrowIfInjectedAsync(string slug, string step, CancellationToken ct = default)
    {
        if (!options.Value.FaultInjection)
        {
            return;
        }
        var db = redis.GetDatabase();
        var key = Key(names.CatalogDatabase, slug, step);
        var value = await db.StringGetAsync(key);
        if (value.IsNullOrEmpty)
        {
            return;
        }
        if (value.ToString() is { } text && text.StartsWith("delay:", StringComparison.Ordinal))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(int.Parse(text["delay:".Length..], System.Globalization.CultureInfo.InvariantCulture)), ct);
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
