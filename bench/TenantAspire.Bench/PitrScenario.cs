using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Npgsql;
using TenantAspire.Tenancy.Auth;

namespace TenantAspire.Bench;

/// <summary>
/// <c>pitr TENANTS SECONDS WRITES</c>: TENANTS standard tenants and one holding 100k users and 100k projects on the first server;
/// an operator's full base backup (pgBackRest CLI, timed); then WRITES acknowledged API writes per second spread over the fleet for
/// SECONDS while the server's archive lag is sampled every 250 ms (the RPO at that instant: how long ago the newest archived WAL
/// segment was archived); then the big tenant restored in place to a moment a third into the load and to one at its end (more WAL
/// since the base backup to replay), each with the worker's own breakdown (stepsMs) and the requests' pause at the swap.
/// </summary>
internal static class PitrScenario
{
    private const int BigRows = 100_000;
    private const string Big = "pitr-big";

    public static async Task RunAsync(int tenants, int seconds, int writesPerSecond)
    {
        Console.WriteLine($"# pitr benchmark: {tenants} tenants + {Big} ({BigRows} users + {BigRows} projects), {writesPerSecond} writes/s for {seconds} s; 2 cores shared with the stack");
        await using var stack = await Stack.StartAsync([], b => b.CreateResourceBuilder(Stack.Project(b, "provisioning-worker"))
            .WithEnvironment("Archive__PassInterval", "00:00:02"));
        var server = await stack.ServerAsync("postgres");
        await WaitAsync(() => TenantData.ScalarAsync<object>(stack.Catalog, "SELECT recoverable_from FROM servers WHERE name = 'postgres'"),
            v => v is DateTime, "the worker's first base backup");

        var clock = Stopwatch.StartNew();
        var slugs = Enumerable.Range(0, tenants).Select(i => $"pt{i:D5}").ToArray();
        await stack.CreateTenantsAsync([.. slugs, Big]);
        await TenantData.SeedAsync(stack, Big, BigRows);
        Console.WriteLine($"provisioned {tenants + 1} tenants and seeded {Big} in {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        var walBytes = await ArchiveNowAsync(server);
        Console.WriteLine($"archive backlog after provisioning: {walBytes / 1048576m:F0} MiB of WAL written since the start, archived {clock.Elapsed.TotalSeconds:F1} s after asking");

        clock.Restart();
        var conf = Path.Combine(stack.DataRoot, "postgres-archive", "pgbackrest.conf");
        await RunAsPostgresAsync(new NpgsqlConnectionStringBuilder(server).Password!, await stack.ParameterAsync("blobs-key"), "pgbackrest", $"--config={conf}", "--stanza=postgres", "--type=full", "backup");
        var fullSeconds = clock.Elapsed.TotalSeconds;
        var afterBackup = await ScalarAsync<string>(server, "SELECT pg_current_wal_lsn()::text");
        Console.WriteLine($"operator full backup (pgbackrest backup --type=full) of {tenants + 1} tenant databases: {fullSeconds:F1} s");

        using var http = stack.Admin();
        var tokens = new ConcurrentDictionary<string, string>();
        var writeLatencies = new ConcurrentBag<double>();
        var failures = 0;
        var failedStatuses = new ConcurrentDictionary<string, int>();
        var lags = new List<double>();
        var positions = new List<(DateTimeOffset At, string Lsn)>();
        // The writers' working set: 100 tenants and the big one (the rest of the fleet idles, as most of a real one does).
        var all = slugs.Take(100).Append(Big).ToArray();
        var random = new Random(42);
        using var load = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var start = DateTimeOffset.UtcNow;
        var sampler = Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(server);
            await connection.OpenAsync();
            while (!load.IsCancellationRequested)
            {
                await using var command = new NpgsqlCommand(
                    "SELECT extract(epoch FROM clock_timestamp() - last_archived_time)::float8, pg_current_wal_lsn()::text FROM pg_stat_archiver", connection);
                var at = DateTimeOffset.UtcNow;
                await using var reader = await command.ExecuteReaderAsync();
                await reader.ReadAsync();
                if (!reader.IsDBNull(0))
                {
                    lags.Add(reader.GetDouble(0));
                }
                positions.Add((at, reader.GetString(1)));
                await Task.Delay(250);
            }
        });
        DateTimeOffset? early = null;
        var inflight = new List<Task>();
        using (var pace = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / writesPerSecond)))
        {
            var n = 0;
            while (!load.IsCancellationRequested && await pace.WaitForNextTickAsync(CancellationToken.None))
            {
                if (early is null && DateTimeOffset.UtcNow - start > TimeSpan.FromSeconds(seconds / 3.0))
                {
                    early = DateTimeOffset.UtcNow;
                }
                var slug = all[random.Next(all.Length)];
                var email = $"load{Interlocked.Increment(ref n)}@{slug}.example";
                inflight.Add(WriteAsync(http, stack.SigningKey, tokens, slug, email, writeLatencies, status =>
                {
                    Interlocked.Increment(ref failures);
                    failedStatuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                }));
                inflight.RemoveAll(t => t.IsCompleted);
            }
        }
        await Task.WhenAll(inflight);
        await sampler;
        var late = DateTimeOffset.UtcNow;
        positions.Add((late, (await ScalarAsync<string>(server, "SELECT pg_current_wal_lsn()::text"))!));
        var walDuringLoad = await ScalarAsync<decimal>(server, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)", afterBackup!);
        lags.Sort();
        var sortedWrites = writeLatencies.OrderBy(x => x).ToList();
        Console.WriteLine($"load: {sortedWrites.Count} writes acknowledged, {failures} failed ({string.Join(", ", failedStatuses.Select(kv => $"{kv.Key}: {kv.Value}"))}), write p50 {Stats.Percentile(sortedWrites, 50):F1} ms p99 {Stats.Percentile(sortedWrites, 99):F1} ms; "
            + $"WAL written since the full backup {walDuringLoad / 1048576m:F1} MiB");
        Console.WriteLine($"archive lag (RPO bound) over {lags.Count} samples: p50 {Stats.Percentile(lags, 50):F1} s  p99 {Stats.Percentile(lags, 99):F1} s  max {lags.LastOrDefault():F1} s   (goal ≤ 60 s; archive_timeout 30 s)");

        Console.WriteLine("| target | WAL since the base backup to replay | RTO (request → swapped) | archive | files | replay | copy | verify | whole cluster | requests held |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var (label, at) in new[] { ("a third into the load", early!.Value), ("the end of the load", late) })
        {
            var lsn = positions.Last(p => p.At <= at).Lsn; // sampled every 250 ms: at most that much WAL early
            var wal = await ScalarAsync<decimal>(server, "SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)", lsn, afterBackup!);
            await RestoreAsync(http, label, at, wal);
        }
    }

    private static async Task WriteAsync(HttpClient http, string signingKey, ConcurrentDictionary<string, string> tokens, string slug, string email,
        ConcurrentBag<double> latencies, Action<string> failed)
    {
        var token = tokens.GetOrAdd(slug, s => DevTokenIssuer.Mint(signingKey, s, [TenantClaims.TenantAdmin], TimeSpan.FromHours(2)));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tenants/{slug}/users") { Content = JsonContent.Create(new { email, name = "Load" }) };
        request.Headers.Authorization = new("Bearer", token);
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                latencies.Add(clock.Elapsed.TotalMilliseconds);
                return;
            }
            failed(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (HttpRequestException e)
        {
            failed(e.GetType().Name);
        }
    }

    private static async Task RestoreAsync(HttpClient http, string label, DateTimeOffset at, decimal walBytes)
    {
        var clock = Stopwatch.StartNew();
        using var asked = await http.PostAsJsonAsync($"/api/tenants/{Big}/restore", new { pointInTime = at });
        if (!asked.IsSuccessStatusCode)
        {
            Console.WriteLine($"| {label} | restore refused: {(int)asked.StatusCode} {await asked.Content.ReadAsStringAsync()} |");
            return;
        }
        var id = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        JsonElement restore;
        while (true)
        {
            restore = await http.GetFromJsonAsync<JsonElement>($"/api/tenants/{Big}/restores/{id}");
            if (restore.GetProperty("phase").GetString() is "swapped" or "failed")
            {
                break;
            }
            await Task.Delay(50);
        }
        var rto = clock.Elapsed.TotalSeconds;
        if (restore.GetProperty("phase").GetString() == "failed")
        {
            Console.WriteLine($"| {label} | restore failed after {rto:F1} s: {restore.GetProperty("error")} |");
            return;
        }
        var steps = restore.GetProperty("stepsMs");
        string S(string step) => steps.TryGetProperty(step, out var ms) ? $"{ms.GetInt64() / 1000.0:F1} s" : "–";
        Console.WriteLine($"| {label} | {walBytes / 1048576m:F0} MiB | **{rto:F1} s** | {S("archive")} | {S("files")} | {S("replay")} | {S("copy")} | {S("verify")} | "
            + $"{(steps.TryGetProperty("wholeCluster", out var whole) && whole.GetInt64() == 1 ? "yes" : "no")} | {restore.GetProperty("pauseMs")} ms |");
    }

    /// <summary>Switches the WAL segment and waits until it is archived (the archive is then complete up to now); the WAL written so far.</summary>
    private static async Task<decimal> ArchiveNowAsync(string server)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var switchWal = new NpgsqlCommand("SELECT pg_walfile_name(pg_switch_wal()), pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')", connection);
        string segment;
        decimal bytes;
        await using (var reader = await switchWal.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            (segment, bytes) = (reader.GetString(0), reader.GetDecimal(1));
        }
        await WaitAsync(async () =>
        {
            await using var archived = new NpgsqlCommand("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver", connection);
            return (object?)(string?)await archived.ExecuteScalarAsync();
        }, v => string.CompareOrdinal((string?)v, segment) >= 0, $"segment {segment} archived", TimeSpan.FromMinutes(20));
        return bytes;
    }

    private static async Task<T?> ScalarAsync<T>(string server, string sql, params object[] parameters) =>
        await TenantData.ScalarAsync<T>(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString, sql, parameters);

    private static async Task WaitAsync(Func<Task<object?>> read, Func<object?, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(5));
        while (!done(await read()))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(what);
            }
            await Task.Delay(200);
        }
    }

    /// <summary>As the postgres user; pgBackRest reaches the server over its socket with the superuser's password (SCRAM), and the repository with the store's key.</summary>
    private static async Task RunAsPostgresAsync(string password, string repositoryKey, string program, params string[] args)
    {
        var start = new ProcessStartInfo("setpriv") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["PGPASSWORD"] = password;
        start.Environment[Tenancy.Servers.ServerArchive.RepositoryKeyVariable] = repositoryKey; // the repository lives in the backup store
        foreach (var arg in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", program }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed ({process.ExitCode}): {await stderr}");
        }
    }
}
