using System.Net;
using System.Net.Http.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TenantAspire.Tests.Reliability;

/// <summary>
/// Fault suite: hibernate and delete a tenant while its requests are in flight. Sessions are ended under running requests and
/// pooled connections die; clients must see answers they can act on (200, 503 + Retry-After, 404 once it is gone), never a 500.
/// </summary>
[Collection(AspireAppCollection.Name)]
public sealed class InFlightTests(AspireAppFixture fixture, ITestOutputHelper output)
{
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task Hibernating_a_tenant_under_load_gives_no_500_and_no_hang()
    {
        var slug = await BusyTenantAsync("inflight-h");
        await using var load = Load(slug);
        await Task.Delay(TimeSpan.FromSeconds(1));
        using (var admin = fixture.PlatformAdmin())
        using (var hibernate = await admin.PostAsync($"/api/tenants/{slug}/hibernate", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, hibernate.StatusCode);
        }
        // The load itself wakes the tenant again (held requests): wait for the round trip, then a little more.
        await Eventually.TrueAsync(async () => (await _kit.AuditAsync(slug)).Any(a => a.Action == "woken"),
            TimeSpan.FromSeconds(20), "hibernated and woken by its own requests");
        await Task.Delay(TimeSpan.FromSeconds(1));
        var answers = await load.StopAsync();

        Report("hibernate with 4 requests in flight", answers);
        AssertNoServerErrors(answers, HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.OK, answers[^1].Status); // served again at the end
    }

    [Fact]
    public async Task Deleting_a_tenant_under_load_gives_no_500_and_no_hang()
    {
        var slug = await BusyTenantAsync("inflight-d");
        await using var load = Load(slug);
        await Task.Delay(TimeSpan.FromSeconds(1));
        using (var admin = fixture.PlatformAdmin())
        using (var delete = await admin.DeleteAsync($"/api/tenants/{slug}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        await _kit.WaitUntilGoneAsync(slug);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var answers = await load.StopAsync();

        Report("delete with 4 requests in flight", answers);
        AssertNoServerErrors(answers, HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, answers[^1].Status);
    }

    private RequestLoad Load(string slug) => new(
        () => fixture.ApiAs(slug, TenantClaims.Member),
        () => new HttpRequestMessage(HttpMethod.Get, $"/api/tenants/{slug}/users"),
        concurrency: 4,
        pace: TimeSpan.FromMilliseconds(50)); // ~60 requests/s: under the fixture's per-tenant rate limit

    private async Task<string> BusyTenantAsync(string prefix)
    {
        var slug = await _kit.CreateActiveAsync(prefix);
        using var admin = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        using var created = await admin.PostAsJsonAsync($"/api/tenants/{slug}/users", new { email = "busy@example.com", name = "Busy" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return slug;
    }

    internal static void AssertNoServerErrors(IReadOnlyList<RequestLoad.Answer> answers, params HttpStatusCode[] allowed)
    {
        Assert.NotEmpty(answers);
        Assert.All(answers, a => Assert.True(a.Status is { } s && allowed.Contains(s),
            $"unexpected answer {a.Status?.ToString() ?? a.Error} at {a.At:HH:mm:ss.fff}; all: {RequestLoad.ByStatus(answers)}"));
        Assert.All(answers.Where(a => a.Status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests),
            a => Assert.True(a.WellFormedRefusal, "a 503/429 must be problem+json with Retry-After"));
    }

    private void Report(string fault, IReadOnlyList<RequestLoad.Answer> answers) =>
        ReliabilityReport.Row(output, $"| {fault} | {RequestLoad.ByStatus(answers)} | p99 {RequestLoad.Percentile(answers.Select(a => a.Milliseconds), 99):0} ms |");
}
