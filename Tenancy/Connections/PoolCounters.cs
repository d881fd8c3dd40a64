using System.Diagnostics;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.Tenancy.Connections;

/// <summary>
/// One server pool's outcomes since start (its <see cref="RegistrySnapshot"/>) and the registry's instruments they feed; each
/// lookup's result also tags the request's span (<c>registry.result</c>).
/// </summary>
internal sealed class PoolCounters(RegistryInstruments instruments, TenantTagLimiter tags)
{
    private long _hits, _grows, _misses, _transients, _evicted, _rejected;

    public long Hits => Interlocked.Read(ref _hits);
    public long Grows => Interlocked.Read(ref _grows);
    public long Misses => Interlocked.Read(ref _misses);
    public long Transients => Interlocked.Read(ref _transients);
    public long Evicted => Interlocked.Read(ref _evicted);
    public long Rejected => Interlocked.Read(ref _rejected);

    public void Hit() => Lookup("hit", ref _hits);

    public void Grow() => Lookup("grow", ref _grows);

    public void Miss() => Lookup("miss", ref _misses);

    public void Transient() => Lookup("transient", ref _transients);

    public void Eviction(string reason, string slug)
    {
        Interlocked.Increment(ref _evicted);
        instruments.Evictions.Add(1, new KeyValuePair<string, object?>("reason", reason),
            new KeyValuePair<string, object?>(TenantTelemetry.TenantIdKey, tags.TagFor(slug)));
    }

    public void Rejection(string slug)
    {
        Interlocked.Increment(ref _rejected);
        instruments.Rejections.Add(1, new KeyValuePair<string, object?>(TenantTelemetry.TenantIdKey, tags.TagFor(slug)));
    }

    private void Lookup(string result, ref long counter)
    {
        Interlocked.Increment(ref counter);
        instruments.Lookups.Add(1, new KeyValuePair<string, object?>("result", result));
        Activity.Current?.SetTag("registry.result", result);
    }
}
