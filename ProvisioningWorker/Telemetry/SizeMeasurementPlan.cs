namespace TenantAspire.ProvisioningWorker.Telemetry;

/// <summary>One tenant database's last size measurement and the write counter it was taken at.</summary>
public readonly record struct SizeReading(long Bytes, long Writes, DateTimeOffset At);

/// <summary>
/// Which tenant databases a size pass measures, so its cost follows what changed and not the fleet: <c>pg_database_size</c> stats
/// every file of a database, and at 5,000 tenants measuring all of them each pass was the collector's whole cost. A database is
/// measured when it has no reading yet, when its write counter (<c>pg_stat_database</c>'s inserted + updated + deleted rows, one
/// cheap read for the whole server) moved since its reading, or when its reading is older than the refresh age (what the counter
/// does not see: DDL such as an index build, a vacuum's truncation). Stale readings are refreshed oldest first, at most the
/// fleet's share of one pass (count × interval / refresh), so the first pass's readings do not all fall due in the same pass.
/// </summary>
public static class SizeMeasurementPlan
{
    public static IReadOnlyList<string> Choose(IReadOnlyDictionary<string, long> writes, IReadOnlyDictionary<string, SizeReading> readings,
        DateTimeOffset now, TimeSpan interval, TimeSpan refresh)
    {
        var due = new List<string>();
        var stale = new List<(string Database, DateTimeOffset At)>();
        foreach (var (database, counter) in writes)
        {
            if (!readings.TryGetValue(database, out var reading) || reading.Writes != counter)
            {
                due.Add(database);
            }
            else if (now - reading.At >= refresh)
            {
                stale.Add((database, reading.At));
            }
        }
        var share = (int)Math.Ceiling(writes.Count * (interval / refresh));
        due.AddRange(stale.OrderBy(s => s.At).ThenBy(s => s.Database, StringComparer.Ordinal).Take(Math.Max(1, share)).Select(s => s.Database));
        return due;
    }
}
