using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace TenantAspire.AppHost.Tenants;

/// <summary>
/// What the dashboard's <c>tenants</c> resource shows: tenants by status and by schema version, operations queued, running and
/// recently failed. Read with one catalog query per poll, whatever the number of tenants.
/// </summary>
public sealed record FleetState(
    IReadOnlyDictionary<string, long> ByStatus,
    IReadOnlyDictionary<string, long> BySchemaVersion,
    long OperationsPending,
    long OperationsRunning,
    long OperationsFailedLastHour)
{
    private const string Query = """
        SELECT (SELECT coalesce(json_object_agg(status, n), '{}') FROM (SELECT status, count(*) AS n FROM tenants GROUP BY status) s)::text,
               (SELECT coalesce(json_object_agg(v, n), '{}') FROM (SELECT coalesce(schema_version, 'none') AS v, count(*) AS n
                                                                      FROM tenants GROUP BY 1) s)::text,
               (SELECT count(*) FROM tenant_operations WHERE state = 'Pending'),
               (SELECT count(*) FROM tenant_operations WHERE state = 'Running'),
               (SELECT count(*) FROM tenant_operations WHERE state = 'Failed' AND completed_at > now() - interval '1 hour')
        """;

    public long Total => ByStatus.Values.Sum();

    public long Count(string status) => ByStatus.TryGetValue(status, out var n) ? n : 0;

    /// <summary>
    /// Throws until the worker has migrated the catalog (its tables exist). Asked once per connection before the polls, so an
    /// empty catalog (a boot's first seconds) is a "not yet" here instead of an ERROR line in the server's log at every poll.
    /// </summary>
    public static async Task EnsureMigratedAsync(NpgsqlConnection catalog, CancellationToken ct)
    {
        await using var migrated = new NpgsqlCommand("SELECT to_regclass('tenants') IS NOT NULL AND to_regclass('tenant_operations') IS NOT NULL", catalog);
        if (await migrated.ExecuteScalarAsync(ct) is not true)
        {
            throw new InvalidOperationException("the catalog has no tables yet (the worker migrates it at its start)");
        }
    }

    public static async Task<FleetState> ReadAsync(NpgsqlConnection catalog, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(Query, catalog);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new(Counts(reader.GetString(0)), Counts(reader.GetString(1)), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }

    private static Dictionary<string, long> Counts(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, long>>(json) ?? [];

    /// <summary>The resource's properties, in a stable order (the dashboard lists them as given).</summary>
    public ImmutableArray<ResourcePropertySnapshot> Properties()
    {
        var properties = new List<ResourcePropertySnapshot> { new("tenants.total", Total.ToString(CultureInfo.InvariantCulture)) };
        foreach (var status in new[] { "Active", "Provisioning", "Hibernated", "Suspended", "Deleting", "Failed" })
        {
            properties.Add(new($"tenants.{status.ToLowerInvariant()}", Count(status).ToString(CultureInfo.InvariantCulture)));
        }
        foreach (var (version, n) in BySchemaVersion.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            properties.Add(new($"schema.{version}", n.ToString(CultureInfo.InvariantCulture)));
        }
        properties.Add(new("operations.pending", OperationsPending.ToString(CultureInfo.InvariantCulture)));
        properties.Add(new("operations.running", OperationsRunning.ToString(CultureInfo.InvariantCulture)));
        properties.Add(new("operations.failed-last-hour", OperationsFailedLastHour.ToString(CultureInfo.InvariantCulture)));
        return [.. properties];
    }

    /// <summary>Healthy, or Degraded with the reasons an SRE should look at.</summary>
    public HealthCheckResult Health()
    {
        var reasons = new List<string>();
        if (Count("Failed") is > 0 and var failed)
        {
            reasons.Add($"{failed} tenant(s) failed (provisioning or deletion)");
        }
        if (OperationsFailedLastHour > 0)
        {
            reasons.Add($"{OperationsFailedLastHour} operation(s) failed in the last hour");
        }
        return reasons.Count == 0 ? HealthCheckResult.Healthy("no failed tenants or operations") : HealthCheckResult.Degraded(string.Join("; ", reasons));
    }
}
