using System.Diagnostics;
using OpenTelemetry;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.Tests.Unit;

/// <summary>
/// Redis spans are created after the fact on the instrumentation's flush thread: they must take their parent span's tenant, never
/// the ambient baggage of whatever that thread ran first.
/// </summary>
public sealed class TenantBaggageProcessorTests : IDisposable
{
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = _ => true,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public TenantBaggageProcessorTests() => ActivitySource.AddActivityListener(_listener);

    [Fact]
    public void A_redis_span_takes_its_parents_tenant_not_the_ambient_one()
    {
        using var app = new ActivitySource("TenantAspire.Test");
        using var redis = new ActivitySource(TenantBaggageProcessor.RedisSource);
        var processor = new TenantBaggageProcessor();

        Baggage.SetBaggage(TenantTelemetry.TenantIdKey, "acme");
        using var parent = app.StartActivity("cache set")!;
        processor.OnStart(parent);
        Assert.Equal("acme", parent.GetTagItem(TenantTelemetry.TenantIdKey));
        var parentContext = parent.Context;
        parent.Stop();

        // Later, on another flow whose ambient baggage says "globex": the Redis span under acme's span is acme's.
        Activity.Current = null;
        Baggage.SetBaggage(TenantTelemetry.TenantIdKey, "globex");
        using var command = redis.StartActivity("HMSET", ActivityKind.Client, parentContext)!;
        processor.OnStart(command);
        Assert.Equal("acme", command.GetTagItem(TenantTelemetry.TenantIdKey));

        // A Redis span whose parent carried no tenant gets none, whatever the ambient baggage says.
        using var orphan = redis.StartActivity("PING", ActivityKind.Client, new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded))!;
        processor.OnStart(orphan);
        Assert.Null(orphan.GetTagItem(TenantTelemetry.TenantIdKey));
    }

    public void Dispose()
    {
        Baggage.ClearBaggage();
        _listener.Dispose();
    }
}
