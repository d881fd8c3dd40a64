using System.Collections;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;

namespace TenantAspire.Tests.Infrastructure;

/// <summary>What OpenTelemetry's in-memory exporters collected from the in-process hosts. Exporters add from many threads.</summary>
public sealed class InMemoryTelemetry
{
    public LockedCollection<Activity> Spans { get; } = new();
    public LockedCollection<MetricSnapshot> Metrics { get; } = new();

    /// <summary>Log lines as exported: message and scope values (copied, since the SDK reuses LogRecord objects).</summary>
    public LockedCollection<ExportedLog> Logs { get; } = new();

    /// <summary>Points of the latest export of <paramref name="metric"/>: tag set → value (sum for counters and gauges, count for histograms).</summary>
    public IReadOnlyList<(IReadOnlyDictionary<string, object?> Tags, double Value)> Points(string metric)
    {
        var latest = Metrics.ToList().LastOrDefault(m => m.Name == metric);
        if (latest is null)
        {
            return [];
        }
        return latest.MetricPoints.Select(point =>
        {
            var tags = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in point.Tags)
            {
                tags[tag.Key] = tag.Value;
            }
            double value = latest.MetricType switch
            {
                MetricType.Histogram or MetricType.ExponentialHistogram => point.GetHistogramCount(),
                MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
                MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
                MetricType.LongGauge => point.GetGaugeLastValueLong(),
                _ => point.GetGaugeLastValueDouble(),
            };
            return ((IReadOnlyDictionary<string, object?>)tags, value);
        }).ToList();
    }
}

public sealed record ExportedLog(string? Category, string? Message, IReadOnlyDictionary<string, object?> Scopes);

/// <summary>Copies each log record's message and scopes as it is emitted.</summary>
public sealed class LogCapture(LockedCollection<ExportedLog> logs) : BaseProcessor<LogRecord>
{
    public override void OnEnd(LogRecord data)
    {
        var scopes = new Dictionary<string, object?>(StringComparer.Ordinal);
        data.ForEachScope(static (scope, values) =>
        {
            foreach (var pair in scope)
            {
                values[pair.Key] = pair.Value;
            }
        }, scopes);
        logs.Add(new ExportedLog(data.CategoryName, data.FormattedMessage ?? data.Body, scopes));
    }
}

/// <summary>A list behind a lock, for exporters that add from the thread that ends a span.</summary>
public sealed class LockedCollection<T> : ICollection<T>
{
    private readonly List<T> _items = [];
    private readonly Lock _gate = new();

    public int Count { get { lock (_gate) { return _items.Count; } } }
    public bool IsReadOnly => false;
    public void Add(T item) { lock (_gate) { _items.Add(item); } }
    public void Clear() { lock (_gate) { _items.Clear(); } }
    public bool Contains(T item) { lock (_gate) { return _items.Contains(item); } }
    public void CopyTo(T[] array, int arrayIndex) { lock (_gate) { _items.CopyTo(array, arrayIndex); } }
    public bool Remove(T item) { lock (_gate) { return _items.Remove(item); } }
    public List<T> ToList() { lock (_gate) { return [.. _items]; } }
    public IEnumerator<T> GetEnumerator() => ToList().GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
