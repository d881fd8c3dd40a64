using Npgsql;

namespace TenantAspire.Bench;

/// <summary>
/// Where a rollout's CPU goes, per tenant migrated (issue 25, item 4): the worker's and the API's process CPU, the standard
/// Postgres server's by process (<see cref="PostgresCpuSampler"/>, sampled every 50 ms: a migration's backend lives ~40-200 ms,
/// so most of them are seen; the rest is the tree's remainder), and the statements' own server time by login
/// (pg_stat_statements: the worker's catalog statements, the tenant logins' migration statements).
/// </summary>
internal sealed class RolloutProfile : IAsyncDisposable
{
    private readonly NpgsqlConnection _server;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task<PostgresCpu> _postgres;
    private readonly List<int> _worker = ProcessStats.Find("ProvisioningWorker/bin");
    private readonly List<int> _api = ProcessStats.Find("TenantApi/bin");
    private readonly double _workerBefore, _apiBefore;
    private readonly DateTime _started = DateTime.UtcNow;

    private RolloutProfile(NpgsqlConnection server, int postmaster)
    {
        _server = server;
        _workerBefore = _worker.Sum(ProcessStats.WithReapedChildren);
        _apiBefore = _api.Sum(ProcessStats.WithReapedChildren);
        _postgres = PostgresCpuSampler.MeasureUntilAsync(postmaster, _done.Task, TimeSpan.FromMilliseconds(50));
    }

    public static async Task<RolloutProfile> StartAsync(Stack stack)
    {
        var server = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(stack.Server) { Pooling = false, ApplicationName = "bench-profile" }.ConnectionString);
        await server.OpenAsync();
        await FleetScenario.ExecuteAsync(server, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        await FleetScenario.ExecuteAsync(server, "SELECT pg_stat_statements_reset()");
        return new(server, ProcessStats.Root($"{stack.DataRoot}/postgres -p"));
    }

    public async Task ReportAsync(string label, int tenants)
    {
        _done.TrySetResult();
        var (postgres, parts, _) = await _postgres;
        var seconds = (DateTime.UtcNow - _started).TotalSeconds;
        double worker = _worker.Sum(ProcessStats.WithReapedChildren) - _workerBefore, api = _api.Sum(ProcessStats.WithReapedChildren) - _apiBefore;
        double PerTenant(double s) => s * 1000 / tenants;
        Console.WriteLine();
        Console.WriteLine($"### Profile: {label} ({tenants} tenants, {seconds:F1} s window, 2 cores = {2 * seconds:F0} CPU s available)");
        Console.WriteLine("| where | CPU s | ms per tenant |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| provisioning worker (all replicas) | {worker:F2} | {PerTenant(worker):F1} |");
        Console.WriteLine($"| tenant API (all replicas) | {api:F2} | {PerTenant(api):F1} |");
        Console.WriteLine($"| Postgres (standard server: the catalog and the tenants), all | {postgres:F2} | {PerTenant(postgres):F1} |");
        foreach (var (part, partSeconds) in parts.Where(p => p.Seconds >= 0.05))
        {
            Console.WriteLine($"| · {part} | {partSeconds:F2} | {PerTenant(partSeconds):F1} |");
        }
        Console.WriteLine($"| sum | {worker + api + postgres:F2} | {PerTenant(worker + api + postgres):F1} |");

        // Server time of the statements themselves, by login: the tenant logins' are the migrations (DDL, history reads), the rest
        // the worker's bookkeeping in the catalog (and the API's route reads).
        Console.WriteLine();
        Console.WriteLine("| login | statement (the 8 with the most server time) | calls | total ms | ms per tenant | mean ms |");
        Console.WriteLine("|---|---|---|---|---|---|");
        await using (var command = new NpgsqlCommand("""
            SELECT CASE WHEN r.rolname LIKE 'trole\_%' THEN 'tenant logins' ELSE r.rolname END AS login,
                   left(regexp_replace(s.query, '\s+', ' ', 'g'), 90) AS statement,
                   sum(s.calls)::bigint, sum(s.total_exec_time + s.total_plan_time)
              FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
             WHERE s.query NOT LIKE '%pg_stat_statements%'
             GROUP BY 1, 2 ORDER BY 4 DESC LIMIT 8
            """, _server))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var total = reader.GetDouble(3);
                var calls = reader.GetInt64(2);
                Console.WriteLine($"| {reader.GetString(0)} | `{reader.GetString(1).Replace("|", "\\|", StringComparison.Ordinal)}` | {calls} | {total:F0} | {total / tenants:F2} | {total / Math.Max(1, calls):F2} |");
            }
        }
        await using (var command = new NpgsqlCommand("""
            SELECT CASE WHEN r.rolname LIKE 'trole\_%' THEN 'tenant logins' ELSE r.rolname END, sum(s.calls)::bigint, sum(s.total_exec_time + s.total_plan_time)
              FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
             WHERE s.query NOT LIKE '%pg_stat_statements%' GROUP BY 1 ORDER BY 3 DESC
            """, _server))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                Console.WriteLine($"| {reader.GetString(0)} | all statements | {reader.GetInt64(1)} | {reader.GetDouble(2):F0} | {reader.GetDouble(2) / tenants:F2} | {reader.GetInt64(1) / (double)tenants:F1} calls per tenant |");
            }
        }
        await using (var dealloc = new NpgsqlCommand("SELECT dealloc FROM pg_stat_statements_info", _server))
        {
            if (await dealloc.ExecuteScalarAsync() is long evicted && evicted > 0)
            {
                Console.WriteLine($"(pg_stat_statements evicted {evicted} entries: the per-statement sums are lower bounds)");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _done.TrySetResult();
        await _postgres;
        await _server.DisposeAsync();
    }

}
