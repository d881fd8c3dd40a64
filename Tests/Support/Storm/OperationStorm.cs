using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Npgsql;

namespace TenantAspire.Storm;

/// <summary>
/// A seeded random interleaving of every admin operation over a set of tenants of both tiers (so on both servers), issued through
/// every API replica while a writer per tenant adds users, with worker SIGKILLs mixed in. The same seed issues the same sequence of
/// requests (what each answers depends on timing, which is the point). <see cref="StormInvariants"/> checks the outcome.
/// </summary>
public sealed class OperationStorm(IStormStack stack, int seed, int tenants, int operations, int workerKills, Action<string>? log = null)
{
    private static readonly string[] Actions =
    [
        "suspend", "resume", "hibernate", "wake", "backup", "backup", "export", "restore", "restore", "undo", "tier", "delete",
    ];

    private const string TenantAdmin = "tenant-admin";
    public StormModel Model { get; } = new(seed);

    /// <summary>The tenants operations pick from: a deleted one's place is taken by a new tenant when it is picked again.</summary>
    private readonly List<StormTenant> _places = [];

    /// <summary>Writers, and new tenants on their way to active (then writing too); awaited before the storm settles.</summary>
    private readonly ConcurrentBag<Task> _background = [];

    public async Task<StormModel> RunAsync(CancellationToken ct)
    {
        var random = new Random(seed);
        for (var i = 0; i < tenants; i++)
        {
            _places.Add(NewTenant());
        }
        await Task.WhenAll(Model.Tenants.Select(t => CreateAsync(t, waitActive: true)));
        var clock = Stopwatch.StartNew();
        using var stopWriters = CancellationTokenSource.CreateLinkedTokenSource(ct);
        foreach (var (tenant, number) in Model.Tenants.Select((t, n) => (t, n)))
        {
            _background.Add(WriteAsync(tenant, number, stopWriters.Token));
        }
        for (var index = 0; index < operations; index++)
        {
            var place = random.Next(_places.Count);
            var tenant = _places[place];
            var action = Actions[random.Next(Actions.Length)];
            var replica = random.Next(stack.ApiReplicas);
            var pause = TimeSpan.FromMilliseconds(random.Next(10, 120));
            if (tenant.Deleted)
            {
                // Half the time a read (a deleted tenant is 404 everywhere), half the time a new tenant in its place, so a long
                // storm keeps all its places busy instead of ending up reading deleted tenants.
                action = index % 2 == 0 ? "read" : "create";
            }
            if (workerKills > 0 && index % Math.Max(1, operations / (workerKills + 1)) == 0 && index > 0)
            {
                action = "kill-worker"; // evenly spread, in the middle of whatever runs then
            }
            if (action == "create")
            {
                await ReplaceAsync(index, place, replica, stopWriters.Token);
            }
            else
            {
                await StepAsync(index, tenant, action, replica, ct);
            }
            await Task.Delay(pause, ct);
        }
        await stopWriters.CancelAsync();
        await Task.WhenAll(_background);
        log?.Invoke($"storm seed {seed}: {operations} operations over {Model.Tenants.Count} tenants ({tenants} at a time) in {clock.Elapsed.TotalSeconds:0.0} s, "
                    + $"{Model.Accepted.Count()} accepted, {Model.WorkerKills} worker kills, {Model.WriteAttempts} writes tried");
        await stack.RestartWorkersAsync();
        return Model;
    }

    private StormTenant NewTenant()
    {
        var n = Model.Tenants.Count;
        var tenant = new StormTenant($"st{seed % 1000:000}-{n:00}-{Guid.NewGuid():N}"[..30], n % 2 == 0 ? "standard" : "premium");
        Model.Tenants.Add(tenant);
        return tenant;
    }

    /// <summary>A new tenant in a deleted one's place, created in the middle of the storm; it writes once it is active.</summary>
    private async Task ReplaceAsync(int index, int place, int replica, CancellationToken writers)
    {
        var number = Model.Tenants.Count;
        var fresh = NewTenant();
        _places[place] = fresh;
        var status = await CreateAsync(fresh, waitActive: false, replica);
        Model.Steps.Enqueue(new(index, "create", fresh.Slug, replica, status, null, DateTimeOffset.UtcNow));
        _background.Add(Task.Run(async () =>
        {
            if (await WaitActiveAsync(fresh))
            {
                await WriteAsync(fresh, number, writers);
            }
        }, CancellationToken.None));
    }

    /// <summary>
    /// Asks for the tenant (202 expected: anything else is a finding) and notes its id (the API never shows it; the catalog row
    /// exists from the 202 on, and the invariants follow the instance, not the slug). When asked to, waits until it is active.
    /// </summary>
    private async Task<int> CreateAsync(StormTenant tenant, bool waitActive, int replica = 0)
    {
        using var admin = stack.Api(replica, null, "platform-admin");
        using var created = await admin.PostAsJsonAsync("/api/tenants", new { slug = tenant.Slug, name = "Storm " + tenant.Slug, tier = tenant.Tier });
        if (created.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"creating {tenant.Slug}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }
        await using (var catalog = new NpgsqlConnection(await stack.ConnectionStringAsync("catalog")))
        {
            await catalog.OpenAsync();
            await using var id = new NpgsqlCommand("SELECT id FROM tenants WHERE slug = $1", catalog) { Parameters = { new() { Value = tenant.Slug } } };
            tenant.Id = (Guid)(await id.ExecuteScalarAsync())!;
        }
        if (waitActive && !await WaitActiveAsync(tenant))
        {
            throw new InvalidOperationException($"{tenant.Slug} was gone before it was active");
        }
        return (int)created.StatusCode;
    }

    /// <summary>
    /// Until the tenant has left provisioning (active, or already further: a storm operation may reach it first); false when it
    /// is gone (a delete accepted meanwhile).
    /// </summary>
    private async Task<bool> WaitActiveAsync(StormTenant tenant)
    {
        using var admin = stack.Api(0, null, "platform-admin");
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            using var response = await admin.GetAsync($"/api/tenants/{tenant.Slug}");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }
            var row = await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            if (row.GetProperty("status").GetString() != "provisioning")
            {
                return true;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{tenant.Slug} never became active: {row}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>A tenant's writer: one user at a time, through alternating replicas; what was acknowledged is recorded.</summary>
    private async Task WriteAsync(StormTenant tenant, int number, CancellationToken ct)
    {
        var clients = Enumerable.Range(0, stack.ApiReplicas).Select(r => stack.Api(r, tenant.Slug, TenantAdmin)).ToList();
        try
        {
            for (var n = 0; !ct.IsCancellationRequested && !tenant.Deleted; n++)
            {
                var email = $"w{n}@{tenant.Slug}.example";
                Model.CountWrite();
                try
                {
                    using var response = await clients[n % clients.Count].PostAsJsonAsync($"/api/tenants/{tenant.Slug}/users",
                        new { email, name = "Storm" }, CancellationToken.None);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        tenant.Acknowledged.Enqueue((email, DateTimeOffset.UtcNow));
                    }
                    else if ((int)response.StatusCode >= 500 && response.StatusCode != HttpStatusCode.ServiceUnavailable)
                    {
                        Model.ServerErrors.Enqueue($"write to {tenant.Slug}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                    }
                }
                catch (HttpRequestException e)
                {
                    Model.ServerErrors.Enqueue($"write to {tenant.Slug}: no answer ({e.Message})");
                }
                await Task.Delay(TimeSpan.FromMilliseconds(40 + number % 7 * 10), CancellationToken.None); // writers out of step
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private async Task StepAsync(int index, StormTenant tenant, string action, int replica, CancellationToken ct)
    {
        using var admin = stack.Api(replica, null, "platform-admin");
        var path = $"/api/tenants/{tenant.Slug}";
        HttpResponseMessage response;
        switch (action)
        {
            case "kill-worker":
                await KillWorkerAsync(ct);
                return;
            case "read":
                response = await admin.GetAsync(path, ct);
                break;
            case "suspend" or "resume" or "hibernate" or "wake" or "backup" or "export":
                response = await admin.PostAsync(path + "/" + (action switch { "backup" => "backups", "export" => "exports", _ => action }), null, ct);
                break;
            case "undo":
                response = await admin.PostAsync(path + "/restore/undo", null, ct);
                break;
            case "tier":
                var to = tenant.Tier == "standard" ? "premium" : "standard";
                response = await admin.PostAsJsonAsync(path + "/tier", new { tier = to }, ct);
                if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK)
                {
                    tenant.Tier = to;
                }
                break;
            case "restore":
                var backups = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>(path + "/backups?pageSize=5", ct);
                var newest = backups.TryGetProperty("items", out var items) ? items.EnumerateArray().FirstOrDefault() : default;
                if (newest.ValueKind != System.Text.Json.JsonValueKind.Object)
                {
                    response = await admin.PostAsync(path + "/backups", null, ct); // nothing to restore yet: make something to restore
                    action = "backup";
                    break;
                }
                response = await admin.PostAsJsonAsync(path + "/restore", new { backupId = newest.GetProperty("id").GetString() }, ct);
                break;
            case "delete":
                response = await admin.DeleteAsync(path, ct);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    tenant.Deleted = true;
                }
                break;
            default:
                throw new InvalidOperationException(action);
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            Model.Steps.Enqueue(new(index, action, tenant.Slug, replica, status, response.Headers.Location?.ToString(), DateTimeOffset.UtcNow));
            if (status >= 500 && status != 503)
            {
                Model.ServerErrors.Enqueue($"step {index} {action} {tenant.Slug}: {status} {await response.Content.ReadAsStringAsync(ct)}");
            }
        }
    }

    /// <summary>SIGKILLs the worker that holds a running operation (any worker when none does); the stack restarts it.</summary>
    private async Task KillWorkerAsync(CancellationToken ct)
    {
        await using var catalog = new NpgsqlConnection(await stack.ConnectionStringAsync("catalog"));
        await catalog.OpenAsync(ct);
        await using var holders = new NpgsqlCommand(
            "SELECT DISTINCT split_part(leased_by, '/', 2)::int FROM tenant_operations WHERE state = 'Running' AND leased_by IS NOT NULL", catalog);
        var pids = new List<int>();
        await using (var reader = await holders.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                pids.Add(reader.GetInt32(0));
            }
        }
        foreach (var pid in pids.Take(1))
        {
            try
            {
                using var victim = Process.GetProcessById(pid);
                victim.Kill(entireProcessTree: true);
                await victim.WaitForExitAsync(ct);
                Model.WorkerKills++;
                log?.Invoke($"storm: killed worker {pid}");
            }
            catch (ArgumentException)
            {
                // gone already (another kill, or its lease was stale)
            }
        }
        await stack.RestartWorkersAsync();
    }
}
