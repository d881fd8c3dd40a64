using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Npgsql;

namespace TenantAspire.Bench;

/// <summary>
/// <c>backup TENANTS</c>: TENANTS standard tenants with a few rows each; a full backup pass over all of them; a pass with no write
/// (nothing to dump); writes to 10 % of them; the changed-only pass; then the restore (RTO) of one tenant holding 100k users and
/// 100k projects, through the API: backup, restore in place, verified, swapped. Passes are asked for through the API and timed by
/// the worker's own pass rows (started → finished), so polling adds no error.
/// </summary>
internal static class BackupScenario
{
    private const int RowsPerTenant = 20;
    private const int BigRows = 100_000;

    public static async Task RunAsync(int tenants)
    {
        Console.WriteLine($"# backup benchmark: {tenants} tenants × {RowsPerTenant} users, then a 10 % changed-only pass, then RTO for {BigRows} users + {BigRows} projects; 2 cores shared with the stack");
        await using var stack = await Stack.StartAsync([], b => b.CreateResourceBuilder(Stack.Project(b, "provisioning-worker"))
            .WithEnvironment("Backups__Tiers__Standard__Interval", "00:00:00") // passes only when asked (Stack), each measured alone
            .WithEnvironment("Hibernation__IdleAfter", "00:00:00"));
        using var admin = stack.Admin();

        var slugs = Enumerable.Range(0, tenants).Select(i => $"bk{i:D5}").ToArray();
        var clock = Stopwatch.StartNew();
        await stack.CreateTenantsAsync(slugs);
        Console.WriteLine($"provisioned {tenants} tenants in {clock.Elapsed.TotalSeconds:F1} s");
        await WriteAsync(stack, slugs, RowsPerTenant);
        await Task.Delay(TimeSpan.FromSeconds(12)); // statistics reach pg_stat_database within ~10 s: let the seeding show

        var full = await PassAsync(stack, admin);
        Report("full pass", full, tenants);
        await Task.Delay(TimeSpan.FromSeconds(12));
        var idle = await PassAsync(stack, admin);
        Report("pass, no writes", idle, tenants);

        var changed = slugs.Where((_, i) => i % 10 == 0).ToArray();
        await WriteAsync(stack, changed, 1);
        await Task.Delay(TimeSpan.FromSeconds(12));
        var partial = await PassAsync(stack, admin);
        Report("changed-only pass (10 %)", partial, tenants);
        Console.WriteLine($"changed-only / full wall time: {partial.Seconds / full.Seconds:P1} (goal ≤ 15 %)   full pass goal ≤ 120 s");

        await RestoreAsync(stack, admin);
    }

    private sealed record Pass(double Seconds, int BackedUp, int Unchanged, int Failed, long Bytes);

    private static void Report(string label, Pass pass, int tenants) =>
        Console.WriteLine($"{label,-26} {pass.Seconds,7:F1} s   backed up {pass.BackedUp,5}   unchanged {pass.Unchanged,5}   failed {pass.Failed}   "
            + $"{pass.Bytes / 1048576.0,7:F1} MiB   {(pass.BackedUp > 0 ? pass.BackedUp / pass.Seconds : 0),6:F1} tenants/s   ({tenants} looked at)");

    /// <summary>Asks for a pass and waits for the worker's row of it.</summary>
    private static async Task<Pass> PassAsync(Stack stack, HttpClient admin)
    {
        var asked = DateTimeOffset.UtcNow;
        (await admin.PostAsync("/api/backups/passes", null)).EnsureSuccessStatusCode();
        await using var connection = new NpgsqlConnection(stack.Catalog);
        await connection.OpenAsync();
        while (true)
        {
            await using var command = new NpgsqlCommand("""
                SELECT EXTRACT(EPOCH FROM finished_at - started_at)::float8, backed_up, unchanged, failed, bytes FROM backup_passes
                WHERE started_at >= $1 AND finished_at IS NOT NULL ORDER BY started_at LIMIT 1
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = asked.AddSeconds(-1) });
            await using var reader = await command.ExecuteReaderAsync();
            if (await reader.ReadAsync())
            {
                return new(reader.GetDouble(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt64(4));
            }
            await reader.DisposeAsync();
            await Task.Delay(100);
        }
    }

    /// <summary><paramref name="rows"/> more users in each tenant, as the superuser, 8 tenants at a time.</summary>
    private static async Task WriteAsync(Stack stack, IReadOnlyList<string> slugs, int rows)
    {
        var server = await stack.ServerAsync("postgres");
        var databases = new Dictionary<string, string>();
        await using (var catalog = new NpgsqlConnection(stack.Catalog))
        {
            await catalog.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT slug, database_name FROM tenants WHERE slug = ANY($1)", catalog);
            command.Parameters.Add(new NpgsqlParameter { Value = slugs.ToArray() });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                databases[reader.GetString(0)] = reader.GetString(1);
            }
        }
        await Parallel.ForEachAsync(slugs, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (slug, ct) =>
        {
            await using var connection = new NpgsqlConnection(TenantData.Db(server, databases[slug]));
            await connection.OpenAsync(ct);
            await using var insert = new NpgsqlCommand("""
                INSERT INTO users (id, email, name, created_at, updated_at)
                SELECT gen_random_uuid(), 'w' || gen_random_uuid() || '@example.com', 'Written', now(), now() FROM generate_series(1, $1)
                """, connection);
            insert.Parameters.Add(new NpgsqlParameter { Value = rows });
            await insert.ExecuteNonQueryAsync(ct);
        });
    }

    private static async Task RestoreAsync(Stack stack, HttpClient admin)
    {
        const string slug = "bk-big";
        await stack.CreateTenantsAsync([slug]);
        await TenantData.SeedAsync(stack, slug, BigRows);
        var clock = Stopwatch.StartNew();
        (await admin.PostAsync($"/api/tenants/{slug}/backups", null)).EnsureSuccessStatusCode();
        JsonElement backup;
        while (true)
        {
            var page = await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/backups");
            if (page.GetProperty("items").GetArrayLength() > 0)
            {
                backup = page.GetProperty("items")[0];
                break;
            }
            await Task.Delay(50);
        }
        var backupSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"backup of {slug}: {backup.GetProperty("bytes").GetInt64() / 1048576.0:F1} MiB in {backup.GetProperty("durationMs").GetInt32() / 1000.0:F1} s in the worker ({backupSeconds:F1} s asked → listed)");

        clock.Restart();
        using var asked = await admin.PostAsJsonAsync($"/api/tenants/{slug}/restore", new { backupId = backup.GetProperty("id").GetString() });
        asked.EnsureSuccessStatusCode();
        var accepted = clock.Elapsed.TotalSeconds; // includes the API's checksum check of the blob
        var id = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        JsonElement restore;
        while (true)
        {
            restore = await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/restores/{id}");
            if (restore.GetProperty("phase").GetString() is "swapped" or "failed")
            {
                break;
            }
            await Task.Delay(20);
        }
        var rto = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"restore of {slug} ({restore.GetProperty("rowsVerified").GetInt64()} rows verified): phase {restore.GetProperty("phase").GetString()}, "
            + $"RTO {rto:F1} s from the request (checksum check in the API {accepted:F1} s), requests held {restore.GetProperty("pauseMs")} ms at the swap   (goal ≤ 10 s)");
    }
}
