using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace TenantAspire.Bench;

/// <summary>
/// <c>custom-fields ROWS SAMPLES</c>: one tenant with ROWS users, each with a unique custom <c>code</c> (indexed) and the same value
/// in <c>plain</c> (not indexed). Reports how long the worker took to build the index (from the POST to <c>ready</c>), then, through
/// the API, one client, interleaved round-robin so the shared machine's noise hits all three alike: find one user by
/// <c>?email=</c> (the ordinary unique index), by <c>?custom.code=</c> (the expression index) and by <c>?custom.plain=</c> (no
/// index: a scan). Same selectivity: one row each.
/// </summary>
internal static class CustomFieldsScenario
{
    public static async Task RunAsync(int rows, int samples)
    {
        Console.WriteLine($"# custom-fields benchmark: {rows} users; {samples} lookups per kind (unindexed: {Math.Max(20, samples / 10)}), one client, 2 cores shared with the stack");
        await using var stack = await Stack.StartAsync([], _ => { });
        var slug = "cf-bench";
        await stack.CreateTenantsAsync([slug]);
        await TenantData.SeedAsync(stack, slug, rows);
        using var api = stack.TenantAdmin(slug);
        var fields = $"/api/tenants/{slug}/custom-fields";
        (await api.PostAsJsonAsync(fields, new { entity = "users", name = "plain", type = "text" })).EnsureSuccessStatusCode();
        (await api.PostAsJsonAsync(fields, new { entity = "users", name = "code", type = "text" })).EnsureSuccessStatusCode();
        await using (var connection = await OpenTenantAsync(stack, slug))
        {
            // Values as the API stores them (canonical JSON), written in one statement: 100k PUTs would measure the PUTs.
            await using var seed = new NpgsqlCommand(
                "UPDATE users SET custom = jsonb_build_object('code', split_part(email, '@', 1), 'plain', split_part(email, '@', 1))", connection);
            seed.CommandTimeout = 600;
            await seed.ExecuteNonQueryAsync();
            await using var analyze = new NpgsqlCommand("ANALYZE users", connection);
            await analyze.ExecuteNonQueryAsync();
        }
        Console.WriteLine($"seeded {rows} users with custom code and plain");

        var build = Stopwatch.StartNew();
        (await api.PutAsJsonAsync($"{fields}/users/code", new { type = "text", indexed = true })).EnsureSuccessStatusCode();
        while ((await api.GetFromJsonAsync<JsonElement>($"{fields}/users/code")).GetProperty("indexState").GetString() is var state && state != "ready")
        {
            if (state == "failed")
            {
                throw new InvalidOperationException("the index build failed");
            }
            await Task.Delay(20);
        }
        Console.WriteLine($"index build (PUT indexed → ready: queue, CREATE INDEX CONCURRENTLY and ANALYZE on {rows} rows): {build.Elapsed.TotalMilliseconds:0} ms");
        await using (var connection = await OpenTenantAsync(stack, slug))
        {
            // The API's own query shape: a bound value, ORDER BY the list's order, LIMIT a page.
            await using var explain = new NpgsqlCommand(
                "EXPLAIN SELECT * FROM users WHERE (custom ->> 'code') = $1 ORDER BY email LIMIT 20 OFFSET 0", connection);
            explain.Parameters.Add(new NpgsqlParameter { Value = "seed42" });
            Console.WriteLine("plan of the custom filter: " + string.Join(" | ", await ReadAllAsync(explain)));
        }

        var kinds = new (string Name, Func<int, string> Query, int Samples)[]
        {
            ("email (ordinary index)", i => $"email=seed{i}@example.com", samples),
            ("custom.code (expression index)", i => $"custom.code=seed{i}", samples),
            ("custom.plain (no index)", i => $"custom.plain=seed{i}", Math.Max(20, samples / 10)),
        };
        var latencies = kinds.Select(_ => new List<double>()).ToArray();
        var random = new Random(42);
        for (var round = -20; round < samples; round++) // 20 warm-up rounds, not recorded
        {
            for (var k = 0; k < kinds.Length; k++)
            {
                if (round >= kinds[k].Samples)
                {
                    continue;
                }
                var user = random.Next(1, rows + 1);
                var started = Stopwatch.GetTimestamp();
                var page = await api.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/users?{kinds[k].Query(user)}");
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (page.GetProperty("total").GetInt32() != 1)
                {
                    throw new InvalidOperationException($"{kinds[k].Name} found {page.GetProperty("total")} rows for user {user}");
                }
                if (round >= 0)
                {
                    latencies[k].Add(elapsed);
                }
            }
        }
        Console.WriteLine("| lookup | samples | p50 ms | p99 ms | p50 vs email | p99 vs email |");
        Console.WriteLine("|---|---|---|---|---|---|");
        var baseline = latencies[0].Order().ToList();
        for (var k = 0; k < kinds.Length; k++)
        {
            var sorted = latencies[k].Order().ToList();
            double p50 = Stats.Percentile(sorted, 50), p99 = Stats.Percentile(sorted, 99);
            Console.WriteLine($"| {kinds[k].Name} | {sorted.Count} | {p50:0.00} | {p99:0.00} | {p50 / Stats.Percentile(baseline, 50):0.00}× | {p99 / Stats.Percentile(baseline, 99):0.00}× |");
        }
    }

    private static async Task<NpgsqlConnection> OpenTenantAsync(Stack stack, string slug)
    {
        var database = await TenantData.ScalarAsync<string>(stack.Catalog, "SELECT database_name FROM tenants WHERE slug = $1", slug);
        var server = await TenantData.ScalarAsync<string>(stack.Catalog, "SELECT server FROM tenants WHERE slug = $1", slug);
        var connection = new NpgsqlConnection(TenantData.Db(await stack.ServerAsync(server!), database!));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<List<string>> ReadAllAsync(NpgsqlCommand command)
    {
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0).Trim());
        }
        return lines;
    }
}
