using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Admin;
using TenantAspire.Tests.Infrastructure;
using TenantAspire.Tests.Security;

namespace TenantAspire.Tests.RequestPath;

/// <summary>
/// Every verb of users, projects and tasks, in both route forms, with the other tenant's tokens (both roles): 403 problem+json, and the
/// target tenant's rows are exactly as before. Complements the route × header × token matrix (GET users).
/// </summary>
[Collection(AspireAppCollection.Name)]
public sealed class VerbIsolationTests(AspireAppFixture fixture)
{
    private static readonly SemaphoreSlim Setup = new(1, 1);
    private static Tenants? _tenants;

    private sealed record Tenants(string A, string B, Guid UserA, Guid ProjectA, Guid TaskA);

    public static TheoryData<string, string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string, string>();
        var endpoints = new[]
        {
            ("GET", "users"), ("POST", "users"), ("GET", "users/{user}"), ("PUT", "users/{user}"), ("DELETE", "users/{user}"),
            ("GET", "projects"), ("POST", "projects"), ("GET", "projects/{project}"), ("PUT", "projects/{project}"), ("DELETE", "projects/{project}"),
            ("GET", "projects/{project}/tasks"), ("POST", "projects/{project}/tasks"), ("PUT", "projects/{project}/tasks/{task}"),
            ("DELETE", "projects/{project}/tasks/{task}"),
        };
        foreach (var (method, path) in endpoints)
        {
            foreach (var role in new[] { TenantClaims.TenantAdmin, TenantClaims.Member })
            {
                foreach (var form in new[] { "route", "header" })
                {
                    data.Add(method, path, role, form);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Another_tenants_token_gets_403_on_every_verb_and_changes_nothing(string method, string path, string role, string form)
    {
        var t = await TenantsAsync();
        using var admin = fixture.PlatformAdmin();
        var before = await SnapshotAsync(admin, t.A);

        using var attacker = fixture.ApiAs(t.B, role); // a valid token, for tenant B
        var relative = path.Replace("{user}", t.UserA.ToString(), StringComparison.Ordinal)
            .Replace("{project}", t.ProjectA.ToString(), StringComparison.Ordinal)
            .Replace("{task}", t.TaskA.ToString(), StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(method), form == "route" ? $"/api/tenants/{t.A}/{relative}" : $"/api/{relative}");
        if (form == "header")
        {
            request.Headers.Add("X-Tenant-Id", t.A);
        }
        if (method is "POST" or "PUT")
        {
            request.Content = path.StartsWith("users", StringComparison.Ordinal)
                ? JsonContent.Create(new { email = "intruder@example.com", name = "Intruder" })
                : path.Contains("tasks", StringComparison.Ordinal)
                    ? JsonContent.Create(new { title = "Intruded", done = true })
                    : JsonContent.Create(new { name = "Intruded", ownerId = t.UserA });
        }
        using var response = await attacker.SendAsync(request);

        await TenantLifecycleTests.AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(before, await SnapshotAsync(admin, t.A));
    }

    private async Task<string> SnapshotAsync(HttpClient admin, string slug)
    {
        var t = await TenantsAsync();
        var text = new System.Text.StringBuilder();
        foreach (var list in new[] { "users", "projects", $"projects/{t.ProjectA}/tasks" })
        {
            text.Append(await GetPolitelyAsync(admin, $"/api/tenants/{slug}/{list}"));
        }
        return text.ToString();
    }

    // Forty cases read the same tenant back to back, faster than the fixture's per-tenant rate: wait as told, like a client should.
    private static async Task<string> GetPolitelyAsync(HttpClient admin, string uri)
    {
        while (true)
        {
            using var response = await admin.GetAsync(uri);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                continue;
            }
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsStringAsync();
        }
    }

    private async Task<Tenants> TenantsAsync()
    {
        await Setup.WaitAsync();
        try
        {
            if (_tenants is { } ready)
            {
                return ready;
            }
            var kit = new TenantTestKit(fixture);
            string a = TenantTestKit.NewSlug("vx-a"), b = TenantTestKit.NewSlug("vx-b");
            foreach (var slug in new[] { a, b })
            {
                (await kit.CreateAsync(slug)).Dispose();
                await kit.WaitForStatusAsync(slug, "active");
            }
            using var admin = fixture.PlatformAdmin();
            var user = await ReviewFindingsTests.CreatedIdAsync(await admin.PostAsJsonAsync($"/api/tenants/{a}/users", new { email = $"owner@{a}.example", name = "Owner" }));
            var project = await ReviewFindingsTests.CreatedIdAsync(await admin.PostAsJsonAsync($"/api/tenants/{a}/projects", new { name = "Secret plans", ownerId = user }));
            var task = await ReviewFindingsTests.CreatedIdAsync(await admin.PostAsJsonAsync($"/api/tenants/{a}/projects/{project}/tasks", new { title = "Secret step" }));
            _tenants = new Tenants(a, b, user, project, task);
            return _tenants;
        }
        finally
        {
            Setup.Release();
        }
    }
}
