using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;

namespace TenantAspire.Tenancy.Telemetry;

/// <summary>
/// Copies the <c>tenant.id</c> baggage onto every span as it starts (cache, registry, Npgsql, provisioning steps), so a dashboard
/// filter on <c>tenant.id</c> shows a tenant's whole story. Server spans are skipped: they start before authentication, when the
/// only baggage is whatever the caller sent; <see cref="TenantTelemetry.Enter"/> tags them once the tenant is established.
/// Redis spans are the exception to "ambient baggage": the StackExchange.Redis instrumentation creates them after the fact, on
/// its own flush thread, whose ambient baggage belongs to whatever ran there first (a test saw another tenant's id on them). They
/// take the tenant of their parent span instead, remembered here for recent spans.
/// Hand-written: the contrib BaggageActivityProcessor is not among the packages served here, and this is a few lines.
/// </summary>
public sealed class TenantBaggageProcessor : BaseProcessor<Activity>
{
    public const string RedisSource = "OpenTelemetry.Instrumentation.StackExchangeRedis";

    // Parent spans end before the Redis instrumentation flushes their children (by default every 10 s), so entries outlive their
    // span. Bounded by clearing: a Redis span whose parent was forgotten then carries no tenant rather than a wrong one.
    private const int MaxRemembered = 50_000;
    private readonly ConcurrentDictionary<ActivitySpanId, string> _tenantOfSpan = new();
    private int _remembered;

    public override void OnStart(Activity data)
    {
        if (data.Kind == ActivityKind.Server)
        {
            return;
        }
        if (data.Source.Name == RedisSource)
        {
            if (_tenantOfSpan.TryGetValue(data.ParentSpanId, out var parentTenant))
            {
                data.SetTag(TenantTelemetry.TenantIdKey, parentTenant);
            }
            return;
        }
        if (TenantTelemetry.Current is { } tenant)
        {
            data.SetTag(TenantTelemetry.TenantIdKey, tenant);
            // Counted here, not with ConcurrentDictionary.Count: Count takes every one of the dictionary's locks, on every span of
            // every request.
            if (Interlocked.Increment(ref _remembered) > MaxRemembered)
            {
                Interlocked.Exchange(ref _remembered, 0);
                _tenantOfSpan.Clear();
            }
            _tenantOfSpan[data.SpanId] = tenant;
        }
    }
}
