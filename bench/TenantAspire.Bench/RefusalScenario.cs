using System.Net;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Auth;

namespace TenantAspire.Bench;

/// <summary>
/// What a refused request costs the API (issue 25, item 5), in the real API hosted in this process (in-memory HTTP, one caller,
/// so µs per call is its own CPU): a served read beside a 429 (tenant over its rate), and the other early refusals for scale
/// (401 without a token, 403 for another tenant's token, 404 for an unknown tenant), plus the JWT validation alone.
/// The 429 row's host lets one request a second through; each row says how many of its answers had another status. Two hosts:
/// one with the rate limit lifted (the 200s), one whose limit is one request per second (every timed request is a 429).
/// </summary>
internal static class RefusalScenario
{
    public static async Task RunAsync(int calls)
    {
        Console.WriteLine($"# refusal cost: {calls} calls per row, one caller, in-process API (in-memory HTTP); 2 cores shared with the stack");
        await using var stack = await Stack.StartAsync([], _ => { });
        string served = "refuse-served", other = "refuse-other";
        await stack.CreateTenantsAsync([served, other]);
        await TenantData.SeedAsync(stack, served, 20);

        await using var open = await InProcessApi.StartAsync(stack, "bench-open");
        await using var limited = await InProcessApi.StartAsync(stack, "bench-limited",
            ("RateLimits:Tiers:Standard:PermitsPerSecond", "1"), ("RateLimits:Tiers:Standard:Burst", "1"),
            ("RateLimits:RefusalHold", "00:00:00")); // the refusal's own CPU, not the hold (which would make each call 200 ms)
        var member = DevTokenIssuer.Mint(stack.SigningKey, served, [TenantClaims.Member], TimeSpan.FromHours(1));
        using var openClient = Authorized(open.CreateClient(), member);
        using var limitedClient = Authorized(limited.CreateClient(), member);
        using var anonymous = limited.CreateClient();
        using var platformClient = Authorized(limited.CreateClient(),
            DevTokenIssuer.Mint(stack.SigningKey, null, [TenantClaims.PlatformAdmin], TimeSpan.FromHours(1)));
        var path = $"/api/tenants/{served}/users?pageSize=1";

        var rows = new (string Label, HttpClient Client, string Path, HttpStatusCode Status)[]
        {
            ("200 read (1 row)", openClient, path, HttpStatusCode.OK),
            ("429 over the tenant's rate", limitedClient, path, HttpStatusCode.TooManyRequests),
            ("401 no token", anonymous, path, HttpStatusCode.Unauthorized),
            ("403 token of another tenant", limitedClient, $"/api/tenants/{other}/users?pageSize=1", HttpStatusCode.Forbidden),
            ("404 no such tenant (platform token)", platformClient, "/api/tenants/no-such-tenant/users?pageSize=1", HttpStatusCode.NotFound),
            ("health (no auth, no tenant: the pipeline's floor)", anonymous, "/health", HttpStatusCode.OK),
        };
        // Every timed answer's status is checked: a row that timed something else than it names says how many.
        Console.WriteLine("| request | µs per call | answers of another status |");
        Console.WriteLine("|---|---|---|");
        foreach (var (label, client, requestPath, status) in rows)
        {
            var answered = 0;
            var others = 0;
            var micros = await TaxScenario.TimeAsync(async () =>
            {
                using var response = await client.GetAsync(requestPath);
                await response.Content.CopyToAsync(Stream.Null);
                answered++;
                others += response.StatusCode == status ? 0 : 1;
            }, calls);
            if (others * 100 > answered)
            {
                throw new InvalidOperationException($"{label}: {others} of {answered} answers were not {(int)status}");
            }
            Console.WriteLine($"| {label} | {micros:F1} | {others} of {answered} |");
        }

        var jwt = limited.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(JwtBearerDefaults.AuthenticationScheme);
        var validation = await TaxScenario.TimeAsync(async () =>
        {
            var result = await jwt.TokenHandlers[0].ValidateTokenAsync(member, jwt.TokenValidationParameters);
            if (!result.IsValid)
            {
                throw new InvalidOperationException("the member token did not validate", result.Exception);
            }
        }, calls);
        Console.WriteLine($"| of which: JWT validation alone (HS256, the API's parameters) | {validation:F1} |");
    }

    private static HttpClient Authorized(HttpClient client, string token)
    {
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }
}
