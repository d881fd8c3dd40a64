namespace TenantAspire.Tenancy.Connections;

/// <summary>
/// How often each tenant asked for a connection lately: the registry's admission and eviction signal (TinyLFU's idea, with an
/// exact map instead of a count-min sketch: the map only holds tenants seen since the last aging, and aging halves every count
/// every <c>agingPeriod</c> accesses, so yesterday's hot tenant cools down and one-off tenants drop out). Not thread-safe: the
/// registry calls it under its lock.
/// </summary>
internal sealed class AccessFrequency(int agingPeriod)
{
    private readonly Dictionary<Guid, int> _counts = [];
    private int _sinceAging;

    public int Of(Guid tenant) => _counts.GetValueOrDefault(tenant);

    public int Increment(Guid tenant)
    {
        var count = Of(tenant) + 1;
        _counts[tenant] = count;
        if (++_sinceAging >= agingPeriod)
        {
            _sinceAging = 0;
            foreach (var key in _counts.Keys.ToList())
            {
                var halved = _counts[key] / 2;
                if (halved == 0)
                {
                    _counts.Remove(key);
                }
                else
                {
                    _counts[key] = halved;
                }
            }
        }
        return Of(tenant);
    }
}
