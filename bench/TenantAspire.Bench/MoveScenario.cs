using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace TenantAspire.Bench;

/// <summary>
/// <c>move ROWS WPS</c>: a standard tenant with ROWS users (and a project each) is moved online to the premium server (a tier
/// change: logical replication, held cut-over) while a client writes WPS new users per second through the API the whole time;
/// then, in the same run, the same data moved offline the old way: the tenant suspended, <c>pg_dump | pg_restore</c> into the
/// other server. Reports the online move's total time, its pause (what the worker measured, and the longest write a client
/// saw), lost and doubled writes and client errors, beside the offline move's time.
/// </summary>
internal static class MoveScenario
{
    public static async Task RunAsync(int rows, int writesPerSecond)
    {
        Console.WriteLine($"# move benchmark: {rows} users (+{rows} projects) per tenant; {writesPerSecond} writes/s through the API during the online move; 2 cores shared with the stack");
        await using var stack = await Stack.StartAsync([], _ => { });

        var online = "mv-online";
        var offline = "mv-offline";
        await stack.CreateTenantsAsync([online, offline]);
        foreach (var slug in new[] { online, offline })
        {
            await TenantData.SeedAsync(stack, slug, rows);
        }
        Console.WriteLine($"seeded {rows} users and {rows} projects in each of {online} and {offline}");

        // Online: writer on, tier change, wait for the switch, writer on a moment longer.
        using var writerClient = stack.TenantAdmin(online);
        var acknowledged = new ConcurrentBag<string>();
        var errors = new ConcurrentBag<string>();
        var latencies = new ConcurrentBag<double>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var interval = TimeSpan.FromSeconds(1.0 / writesPerSecond);
            var clock = Stopwatch.StartNew();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var due = interval * i;
                if (clock.Elapsed < due)
                {
                    await Task.Delay(due - clock.Elapsed);
                }
                var email = $"live{i}@{online}.example";
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await writerClient.PostAsJsonAsync($"/api/tenants/{online}/users", new { email, name = "Live " + i });
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged.Add(email);
                    }
                    else
                    {
                        errors.Add($"{(int)response.StatusCode}");
                    }
                }
                catch (HttpRequestException e)
                {
                    errors.Add(e.Message);
                }
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
        await Task.Delay(2000);
        using var admin = stack.Admin();
        var moveClock = Stopwatch.StartNew();
        using var asked = await admin.PostAsJsonAsync($"/api/tenants/{online}/tier", new { tier = "premium" });
        asked.EnsureSuccessStatusCode();
        var moveId = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        JsonElement move;
        while (true)
        {
            move = await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{online}/moves/{moveId}");
            var phase = move.GetProperty("phase").GetString();
            if (phase is "switched" or "completed" or "aborted" or "failed")
            {
                break;
            }
            await Task.Delay(50);
        }
        var moveSeconds = moveClock.Elapsed.TotalSeconds;
        Console.WriteLine($"move: {move}");
        await Task.Delay(2000);
        await stop.CancelAsync();
        await writer;

        var database = await TenantData.ScalarAsync<string>(stack.Catalog, "SELECT database_name FROM tenants WHERE slug = $1", online);
        var target = await stack.ServerAsync("postgres-premium");
        var onTarget = await EmailsAsync(target, database!, "live%");
        var lost = acknowledged.Count(e => !onTarget.Contains(e));
        var doubled = await TenantData.ScalarAsync<long>(TenantData.Db(target, database!), "SELECT count(*) - count(DISTINCT email) FROM users");
        var total = await TenantData.ScalarAsync<long>(TenantData.Db(target, database!), "SELECT count(*) FROM users");
        var sorted = latencies.Order().ToList();

        // Offline: suspended, dumped, restored into the other server.
        using (var suspend = await admin.PostAsync($"/api/tenants/{offline}/suspend", null))
        {
            suspend.EnsureSuccessStatusCode();
        }
        var offlineDatabase = await TenantData.ScalarAsync<string>(stack.Catalog, "SELECT database_name FROM tenants WHERE slug = $1", offline);
        var offlineClock = Stopwatch.StartNew();
        var offlineServer = await TenantData.ScalarAsync<string>(stack.Catalog, "SELECT server FROM tenants WHERE slug = $1", offline);
        await DumpRestoreAsync(await stack.ServerAsync(offlineServer!), target, offlineDatabase!);
        var offlineSeconds = offlineClock.Elapsed.TotalSeconds;
        var restored = await TenantData.ScalarAsync<long>(TenantData.Db(target, "offline_" + offlineDatabase), "SELECT count(*) FROM users");

        Console.WriteLine();
        Console.WriteLine("| move | rows | total s | pause (worker) ms | longest write ms | write p50 / p99 ms | writes acknowledged | lost | doubled | client errors | outcome |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| online (logical replication, held cut-over) | {total} | {moveSeconds:F1} | {move.GetProperty("pauseMs")} | {sorted[^1]:F0} | {Stats.Percentile(sorted, 50):F1} / {Stats.Percentile(sorted, 99):F1} | {acknowledged.Count} | {lost} | {doubled} | {errors.Count} | {move.GetProperty("phase").GetString()} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| offline (suspended, pg_dump \\| pg_restore) | {restored} | {offlineSeconds:F1} | {offlineSeconds * 1000:F0} (tenant unavailable) | - | - | - | - | - | - | done |"));
        if (!errors.IsEmpty)
        {
            Console.WriteLine("client errors: " + string.Join(", ", errors.GroupBy(e => e).Select(g => $"{g.Key} x{g.Count()}")));
        }
    }



    private static async Task<HashSet<string>> EmailsAsync(string server, string database, string like)
    {
        await using var connection = new NpgsqlConnection(TenantData.Db(server, database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT email FROM users WHERE email LIKE $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = like });
        var emails = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            emails.Add(reader.GetString(0));
        }
        return emails;
    }


    /// <summary>The offline way: an empty database on the target, then pg_dump (custom format) piped into pg_restore.</summary>
    private static async Task DumpRestoreAsync(string source, string target, string database)
    {
        var from = new NpgsqlConnectionStringBuilder(source);
        var to = new NpgsqlConnectionStringBuilder(target);
        await using (var create = new NpgsqlConnection(TenantData.Db(target, "postgres")))
        {
            await create.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE offline_{database}", create); // the bench's own name
            await command.ExecuteNonQueryAsync();
        }
        var bin = "/usr/lib/postgresql/15/bin";
        var script = $"PGPASSWORD='{from.Password}' {bin}/pg_dump -Fc --no-owner -h {from.Host} -p {from.Port} -U {from.Username} {database} | "
            + $"PGPASSWORD='{to.Password}' {bin}/pg_restore --no-owner -h {to.Host} -p {to.Port} -U {to.Username} -d offline_{database}";
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_dump | pg_restore failed: {error}");
        }
    }
}
