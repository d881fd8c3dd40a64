using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using TenantAspire.ProvisioningWorker.Telemetry;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Observability;

/// <summary>
/// The API and worker run in the test process with OpenTelemetry's in-memory exporters (real Postgres, Redis and JWTs). One
/// scenario feeds every test: tenants a, b, c provisioned through the admin API, d provisioned and deleted, then one tenant
/// request each for a, b and c (in that order), and one for a and one admin list that smuggle <c>baggage: tenant.id=b</c>.
/// </summary>
[Collection(AspireAppCollection.Name)]
public sealed class TenantTelemetryTests(AspireAppFixture fixture)
{
    private const string TenantId = "tenant.id";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static Scenario? _scenario;

    private sealed record Scenario(InProcessHosts Hosts, string A, string B, string C, string Deleted, string SpoofedTenantPath);

    [Fact]
    public async Task Provisioning_span_carries_the_new_tenant_and_joins_the_admin_calls_trace()
    {
        var s = await ScenarioAsync();
        var create = s.Hosts.Api.Spans.ToList().Single(span => span.Kind == ActivityKind.Server
            && Tag(span, "http.request.method") == "POST" && Tag(span, TenantId) == s.A);

        var provision = s.Hosts.Worker.Spans.ToList()
            .Where(span => span.Source.Name == "TenantAspire.Provisioning" && span.DisplayName == "tenant provision"
                           && Tag(span, TenantId) == s.A)
            .ToList();
        Assert.NotEmpty(provision);
        Assert.All(provision, span => Assert.Equal(create.TraceId, span.TraceId));

        // Below the operation span, the steps and the worker's SQL carry the tenant too (restored baggage).
        var trace = s.Hosts.Worker.Spans.ToList().Where(span => span.TraceId == create.TraceId && span.Kind != ActivityKind.Server).ToList();
        Assert.Contains(trace, span => span.DisplayName.StartsWith("provisioning ", StringComparison.Ordinal));
        Assert.Contains(trace, span => span.Source.Name == "Npgsql");
        // The first one, the worker's catalog lookup of the slug, can only have it from the baggage the API stored.
        Assert.All(trace, span => Assert.True(Tag(span, TenantId) == s.A, $"{span.Source.Name} '{span.DisplayName}' lacks tenant.id {s.A}"));

        // And the worker's log line for it is in the tenant's scope.
        Assert.Contains(s.Hosts.Worker.Logs.ToList(), log => log.Message?.Contains($"Provision of {s.A} succeeded", StringComparison.Ordinal) == true
            && (string?)log.Scopes.GetValueOrDefault(TenantId) == s.A);
    }

    [Fact]
    public async Task Tenant_request_server_cache_registry_and_db_spans_carry_that_tenant_only()
    {
        var s = await ScenarioAsync();
        foreach (var tenant in new[] { s.A, s.B })
        {
            var server = ServerSpan(s, $"/api/tenants/{tenant}/users");
            Assert.Equal(tenant, Tag(server, TenantId));
            var children = s.Hosts.Api.Spans.ToList().Where(span => span.TraceId == server.TraceId && span != server).ToList();
            Assert.Contains(children, span => span.Source.Name == "Npgsql" && Tag(span, "db.namespace")?.StartsWith("tdb_", StringComparison.Ordinal) == true);
            Assert.Contains(children, span => span.DisplayName == "tenant connection acquire");
            Assert.All(children, span => Assert.Equal(tenant, Tag(span, TenantId)));
        }
    }

    [Fact]
    public async Task A_tenant_id_sent_as_baggage_by_the_caller_never_labels_the_spans()
    {
        var s = await ScenarioAsync();
        // A tenant request: its spans say the tenant the token and route established.
        var server = ServerSpan(s, s.SpoofedTenantPath);
        var trace = s.Hosts.Api.Spans.ToList().Where(span => span.TraceId == server.TraceId).ToList();
        Assert.Contains(trace, span => span.Source.Name == "Npgsql");
        Assert.All(trace, span => Assert.Equal(s.A, Tag(span, TenantId)));

        // A call about no tenant in particular (the admin list): its catalog query carries no tenant at all.
        var list = ServerSpan(s, "/api/tenants");
        var listTrace = s.Hosts.Api.Spans.ToList().Where(span => span.TraceId == list.TraceId).ToList();
        Assert.Contains(listTrace, span => span.Source.Name == "Npgsql");
        Assert.All(listTrace, span => Assert.Null(Tag(span, TenantId)));
    }

    [Fact]
    public async Task Request_and_db_metrics_are_per_tenant_and_fold_tenants_past_the_cap_into_other()
    {
        var s = await ScenarioAsync();
        s.Hosts.FlushMetrics();
        var api = s.Hosts.Api;

        var requests = api.Points("http.server.request.duration").Select(p => p.Tags.GetValueOrDefault(TenantId) as string).ToHashSet();
        Assert.Contains(s.A, requests);
        Assert.Contains(s.B, requests);
        Assert.Contains("other", requests);
        Assert.DoesNotContain(s.C, requests);

        var database = api.Points("db.client.operation.duration")
            .Select(p => p.Tags.GetValueOrDefault("db.client.connection.pool.name") as string).ToHashSet();
        Assert.Contains(s.A, database);
        Assert.Contains(s.B, database);
        Assert.Contains("other", database);
        Assert.DoesNotContain(s.C, database);

        // The registry and the routing cache report too (lookups by result; FusionCache's own counters by level).
        Assert.Contains(api.Points("tenantaspire.registry.lookups"), p => (string?)p.Tags["result"] == "miss" && p.Value >= 3);
        Assert.Single(api.Points("tenantaspire.registry.budget"));
        Assert.NotEmpty(api.Points("tenantaspire.registry.waiters"));
        Assert.Contains(api.Metrics.ToList(), m => m.Name.StartsWith("fusioncache.memory.", StringComparison.Ordinal));
        Assert.Contains(api.Metrics.ToList(), m => m.Name.StartsWith("fusioncache.distributed.", StringComparison.Ordinal));

        // Provisioning operations by kind and outcome, with duration (worker).
        Assert.Contains(s.Hosts.Worker.Points("tenantaspire.provisioning.operation.duration"),
            p => (string?)p.Tags["operation.kind"] == "Delete" && (string?)p.Tags["outcome"] == "succeeded");
    }

    [Fact]
    public async Task Database_size_collector_reports_every_active_tenant_and_none_for_deleted_ones()
    {
        var s = await ScenarioAsync();
        var sizes = await s.Hosts.WorkerServices.GetRequiredService<DatabaseSizeCollector>().CollectAsync(CancellationToken.None);
        foreach (var tenant in new[] { s.A, s.B, s.C })
        {
            Assert.True(sizes.TryGetValue(tenant, out var bytes) && bytes > 1_000_000, $"{tenant}: {bytes} bytes");
        }
        Assert.DoesNotContain(s.Deleted, sizes.Keys);

        s.Hosts.FlushMetrics();
        var gauge = s.Hosts.Worker.Points("tenantaspire.tenant.database.size")
            .ToDictionary(p => (string)p.Tags[TenantId]!, p => (long)p.Value);
        Assert.Equal(sizes.OrderBy(x => x.Key), gauge.OrderBy(x => x.Key));
    }

    private static Activity ServerSpan(Scenario s, string path) =>
        s.Hosts.Api.Spans.ToList().Single(span => span.Kind == ActivityKind.Server && Tag(span, "url.path") == path
                                                  && Tag(span, "http.request.method") == "GET");

    private static string? Tag(Activity span, string key) => span.GetTagItem(key) as string;

    private async Task<Scenario> ScenarioAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _scenario ??= await RunScenarioAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    private async Task<Scenario> RunScenarioAsync()
    {
        var hosts = await fixture.InProcessAsync();
        string[] slugs = [TenantTestKit.NewSlug("ta"), TenantTestKit.NewSlug("tb"), TenantTestKit.NewSlug("tc"), TenantTestKit.NewSlug("td")];
        using var admin = hosts.ApiAs(null, TenantClaims.PlatformAdmin);
        foreach (var slug in slugs)
        {
            using var created = await admin.PostAsJsonAsync("/api/tenants", new { slug, name = "Telemetry " + slug });
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }
        foreach (var slug in slugs)
        {
            await Eventually.TrueAsync(async () => (await admin.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/tenants/{slug}"))
                .GetProperty("status").GetString() == "active", TimeSpan.FromSeconds(60), $"{slug} active");
        }
        var deleted = slugs[3];
        using (var delete = await admin.DeleteAsync($"/api/tenants/{deleted}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        await Eventually.TrueAsync(async () => (await admin.GetAsync($"/api/tenants/{deleted}")).StatusCode == HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(60), $"{deleted} deleted");

        foreach (var slug in slugs[..3])
        {
            using var client = hosts.ApiAs(slug, TenantClaims.TenantAdmin);
            using var response = await client.GetAsync($"/api/tenants/{slug}/users");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var spoofed = $"/api/tenants/{slugs[0]}/users/00000000-0000-0000-0000-000000000001";
        using (var client = hosts.ApiAs(slugs[0], TenantClaims.TenantAdmin))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, spoofed);
            request.Headers.Add("baggage", $"tenant.id={slugs[1]}");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/tenants"))
        {
            request.Headers.Add("baggage", $"tenant.id={slugs[1]}");
            using var response = await admin.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        return new Scenario(hosts, slugs[0], slugs[1], slugs[2], deleted, spoofed);
    }
}
