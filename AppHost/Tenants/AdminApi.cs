using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using TenantAspire.Tenancy.Auth;

namespace TenantAspire.AppHost.Tenants;

/// <summary>
/// How the dashboard's commands reach the admin API: a short-lived platform-admin token minted from the development signing key
/// (subject <c>dashboard</c>, so the audit trail says who acted), and a refusal turned into the command's failure with the API's
/// problem detail. Commands never go around the API: it stays the one place that validates and audits.
/// </summary>
public sealed class AdminApi(EndpointReference api, string signingKey)
{
    public const string Actor = "dashboard";

    public HttpClient Client()
    {
        var http = new HttpClient { BaseAddress = new Uri(api.Url), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            DevTokenIssuer.Mint(signingKey, tenant: null, [TenantClaims.PlatformAdmin], TimeSpan.FromMinutes(5), subject: Actor));
        return http;
    }

    /// <summary>The path segment for a slug typed into a dialog: escaped, so whatever was typed stays one segment (the API validates it).</summary>
    public static string Segment(string? value) => Uri.EscapeDataString(value?.Trim() ?? string.Empty);

    public static async Task<ExecuteCommandResult> ResultAsync(HttpResponseMessage response, string success, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return CommandResults.Success(success);
        }
        return CommandResults.Failure($"{(int)response.StatusCode}: {await ProblemDetailAsync(response, ct)}");
    }

    private static async Task<string> ProblemDetailAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            return problem.TryGetProperty("detail", out var detail) ? detail.GetString() ?? response.ReasonPhrase ?? ""
                : problem.TryGetProperty("title", out var title) ? title.GetString() ?? "" : response.ReasonPhrase ?? "";
        }
        catch (JsonException)
        {
            return response.ReasonPhrase ?? "request failed";
        }
    }
}
