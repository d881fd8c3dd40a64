using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.Bench;

/// <summary>
/// The source article's advice, "use PgBouncer", beside our registry, at the connection layer (no HTTP on either side, the same
/// client loop: open, the users endpoint's two statements, close), Zipf(1) over N tenants, the same server budget B = 40, one run:
/// (r) the registry (the real API's, hosted in this process: TinyLFU admission, 1 connection per tenant, 15 % window);
/// (p1) PgBouncer as a database-per-tenant deployment must run it with a login per tenant (each tenant's own role and password,
///      the isolation we keep): a pool per database, pool size 1, <c>max_db_connections = 1</c>, <c>server_idle_timeout</c>;
///      nothing caps the total across databases;
/// (p2) PgBouncer with the one setting that does cap it, <c>max_user_connections = B</c>, which only works when every tenant
///      database is reached through ONE login (here the superuser), giving up the per-tenant role.
/// </summary>
internal static class BouncerScenario
{
    private const int Budget = LoadScenario.NarrowBudget;

    public static async Task RunAsync(int tenants, int seconds, int concurrency)
    {
        Console.WriteLine($"# PgBouncer side by side: Zipf(1) over {tenants} tenants, B = {Budget}, {seconds} s each after 5 s warm-up, {concurrency} clients, no HTTP");
        await using var stack = await Stack.StartAsync(["LocalInfrastructure:MaxConnections=500"], _ => { });
        var slugs = Enumerable.Range(0, tenants).Select(i => $"bouncer-{i:D5}").ToArray();
        var clock = Stopwatch.StartNew();
        await stack.CreateTenantsAsync(slugs);
        Console.WriteLine($"provisioned {tenants} tenants in {clock.Elapsed.TotalSeconds:F0} s");
        var dbNames = await LoadScenario.DatabaseNamesAsync(stack, slugs);
        var zipf = new LoadScenario.Zipf(tenants, 1.0);
        Console.WriteLine($"ideal hit ratio of {Budget} places: {zipf.TopShare(Budget):P1}; connect rate {await LoadScenario.MeasureConnectRateAsync(stack.Server, dbNames[slugs[0]]):F0}/s (4 concurrent)");
        Console.WriteLine();
        Console.WriteLine("| setup | RPS | p50 ms | p99 ms | errors | peak backends | notes |");
        Console.WriteLine("|---|---|---|---|---|---|---|");

        var routes = new Dictionary<string, TenantRoute>();
        var tenantLogins = new Dictionary<string, (string User, string Password)>();
        await using (var api = await InProcessApi.StartAsync(stack, "bench-registry",
            ("ConnectionRegistry:ConnectionBudget", Budget.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("ConnectionRegistry:ConnectionsPerTenant", "1"),
            ("ConnectionRegistry:AdmissionWindowPercent", "15")))
        {
            var registry = api.Services.GetRequiredService<TenantConnectionRegistry>();
            var cache = api.Services.GetRequiredService<TenantRouteCache>();
            var protector = api.Services.GetRequiredService<TenantCredentialProtector>();
            foreach (var slug in slugs)
            {
                var route = (await cache.GetAsync(slug))!;
                routes[slug] = route;
                tenantLogins[slug] = (route.RoleName, protector.Unprotect(route.ProtectedPassword!));
            }
            async Task<int> ViaRegistry(int w, int i)
            {
                await using var lease = await registry.OpenAsync(routes[slugs[zipf.Sample()]], CancellationToken.None);
                await LoadScenario.QueryAsync(lease.Connection);
                return 200;
            }
            await LoadScenario.RunAsync("warm-up", 5, concurrency, "bench-registry", stack.Server, ViaRegistry);
            var before = registry.Snapshot();
            var r = await LoadScenario.RunAsync("(r) registry", seconds, concurrency, "bench-registry", stack.Server, ViaRegistry);
            var after = registry.Snapshot();
            double hits = after.Hits - before.Hits, opened = after.Grows + after.Misses + after.Transients - before.Grows - before.Misses - before.Transients;
            LoadScenario.Print(r, $"hit {hits / (hits + opened):P1}; {opened / seconds:F0} new conn/s; tenant roles");
        }

        var shared = new NpgsqlConnectionStringBuilder(stack.Server);
        (string User, string Password) sharedLogin = (shared.Username!, shared.Password!);
        (string Label, bool TenantLogins, Dictionary<string, string> Settings, string Note)[] setups =
        [
            ("(p1) PgBouncer, pool per database", true, new()
            {
                ["default_pool_size"] = "1", ["max_db_connections"] = "1", ["server_idle_timeout"] = "10",
            }, "tenant logins; no cap across databases"),
            ("(p2) PgBouncer + max_user_connections", false, new()
            {
                ["default_pool_size"] = "1", ["max_db_connections"] = "1", ["max_user_connections"] = Budget.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["server_idle_timeout"] = "10",
            }, "capped, but one login for every tenant"),
        ];
        foreach (var (label, perTenant, settings, note) in setups)
        {
            await using var bouncer = await LocalPgBouncer.StartAsync(stack.Server, Path.Combine(stack.DataRoot, "pgbouncer"),
                perTenant ? tenantLogins.Values : [sharedLogin], settings);
            var pools = new ConcurrentDictionary<string, NpgsqlDataSource>();
            async Task<int> ViaBouncer(int w, int i)
            {
                var slug = slugs[zipf.Sample()];
                var source = pools.GetOrAdd(slug, s =>
                {
                    var login = perTenant ? tenantLogins[s] : sharedLogin;
                    var builder = new NpgsqlDataSourceBuilder(bouncer.ConnectionString(stack.Server, dbNames[s], login, "bench-bouncer"));
                    builder.ConfigureTypeLoading(types => types.EnableTypeLoading(false)); // as the registry's data sources
                    return builder.Build();
                });
                await using var connection = await source.OpenConnectionAsync();
                await LoadScenario.QueryAsync(connection);
                return 200;
            }
            await LoadScenario.RunAsync("warm-up", 5, concurrency, "bench-bouncer", stack.Server, ViaBouncer);
            var result = await LoadScenario.RunAsync(label, seconds, concurrency, "bench-bouncer", stack.Server, ViaBouncer);
            LoadScenario.Print(result, $"{note}; {pools.Count} client pools");
            Console.WriteLine($"  PgBouncer's log: {string.Join("; ", bouncer.LogSummary())}");
            foreach (var pool in pools.Values)
            {
                await pool.DisposeAsync();
            }
        }
    }
}
