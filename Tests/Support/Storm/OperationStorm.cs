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

    public async Task<StormModel> RunAsync(CancellationToken ct)
    {
        var random = new Random(seed);
        for (var i = 0; i < tenants; i++)
        {
            Model.Tenants.Add(new StormTenant($"st{seed % 1000:000}-{i:00}-{Guid.NewGuid():N}"[..30], i % 2 == 0 ? "standard" : "premium"));
        }
        await Task.WhenAll(Model.Tenants.Select(CreateAsync));
        var clock = Stopwatch.StartNew();
        using var stopWriters = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writers = Model.Tenants.Select((t, i) => WriteAsync(t, i, stopWriters.Token)).ToList();
        for (var index = 0; index < operations; index++)
        {
            var tenant = Model.Tenants[random.Next(Model.Tenants.Count)];
            var action = Actions[random.Next(Actions.Length)];
            var replica = random.Next(stack.ApiReplicas);
            var pause = TimeSpan.FromMilliseconds(random.Next(10, 120));
            if (tenant.Deleted)
            {
                action = "read";
            }
            if (workerKills > 0 && index % Math.Max(1, operations / (workerKills + 1)) == 0 && index > 0)
            {
                action = "kill-worker"; // evenly spread, in the middle of whatever runs then
            }
            await StepAsync(index, tenant, action, replica, ct);
            await Task.Delay(pause, ct);
        }
        await stopWriters.CancelAsync();
        await Task.WhenAll(writers);
        log?.Invoke($"storm seed {seed}: {operations} operations over {tenants} tenants in {clock.Elapsed.TotalSeconds:0.0} s, "
                    + $"{Model.Accepted.Count()} accepted, {Model.WorkerKills} worker kills, {Model.WriteAttempts} writes tried");
        await stack.RestartWorkersAsync();
        return Model;
    }

    private async Task CreateAsync(StormTenant tenant)
    {
        using var admin = stack.Api(0, null, "platform-admin");
        using var created = await admin.PostAsJsonAsync("/api/tenants", new { slug = tenant.Slug, name = "Storm " + tenant.Slug, tier = tenant.Tier });
        if (created.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"creating {tenant.Slug}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var row = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/tenants/{tenant.Slug}");
            if (row.GetProperty("status").GetString() == "active")
            {
                // The API never shows a tenant's id; the catalog has it (the invariants follow the instance, not the slug).
                await using var catalog = new NpgsqlConnection(await stack.ConnectionStringAsync("catalog"));
                await catalog.OpenAsync();
                await using var id = new NpgsqlCommand("SELECT id FROM tenants WHERE slug = $1", catalog) { Parameters = { new() { Value = tenant.Slug } } };
                tenant.Id = (Guid)(await id.ExecuteScalarAsync())!;
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{tenant.Slug} never became active: {row}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>A tenant's writer: one user at a time, through alternating replicas; what was acknowledged is recorded.</summary>
    private async Task WriteAsync(StormTenant tenant, int index, CancellationToken ct)
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
                await Task.Delay(TimeSpan.FromMilliseconds(40 + index % 7 * 10), CancellationToken.None);
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
