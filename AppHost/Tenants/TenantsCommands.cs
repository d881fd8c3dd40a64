using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using TenantAspire.Tenancy.Auth;

namespace TenantAspire.AppHost.Tenants;

/// <summary>
/// The <c>tenants</c> resource's commands. They go through the admin API with a short-lived platform-admin token minted from the
/// development signing key (subject <c>dashboard</c>, so the audit trail says who acted), never around it: the API stays the one
/// place that validates and audits. A refusal comes back as the command's failure with the API's problem detail.
/// </summary>
public sealed class TenantsCommands(EndpointReference api, string signingKey)
{
    public const string CreateTenant = "create-tenant";
    public const string HibernateIdle = "hibernate-idle";
    public const string Actor = "dashboard";

    public static IReadOnlyList<InteractionInput> CreateTenantArguments() =>
    [
        new() { Name = "slug", Label = "Slug", InputType = InputType.Text, Required = true, Placeholder = "initech",
                Description = "Lower-case letters, digits and '-', 3-63 characters; the tenant's key in URLs and tokens." },
        new() { Name = "name", Label = "Name", InputType = InputType.Text, Required = true, Placeholder = "Initech" },
        new() { Name = "tier", Label = "Tier", InputType = InputType.Choice, Value = "standard",
                Options = [new("standard", "standard"), new("premium", "premium")] },
    ];

    public async Task<ExecuteCommandResult> CreateTenantAsync(ExecuteCommandContext context)
    {
        var arguments = context.Arguments;
        var body = new
        {
            slug = arguments?.GetString("slug"),
            name = arguments?.GetString("name"),
            tier = arguments?.GetString("tier") ?? "standard",
        };
        using var http = Client();
        using var response = await http.PostAsJsonAsync("/api/tenants", body, context.CancellationToken);
        return await ResultAsync(response, $"Tenant '{body.slug}' accepted; it is provisioning.", context.CancellationToken);
    }

    public async Task<ExecuteCommandResult> HibernateIdleAsync(ExecuteCommandContext context)
    {
        using var http = Client();
        using var response = await http.PostAsync("/api/fleet/hibernation-scans", content: null, context.CancellationToken);
        return await ResultAsync(response, "Scan requested: idle tenants are being hibernated (watch tenants.hibernated).", context.CancellationToken);
    }

    private HttpClient Client()
    {
        var http = new HttpClient { BaseAddress = new Uri(api.Url), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            DevTokenIssuer.Mint(signingKey, tenant: null, [TenantClaims.PlatformAdmin], TimeSpan.FromMinutes(5), subject: Actor));
        return http;
    }

    private static async Task<ExecuteCommandResult> ResultAsync(HttpResponseMessage response, string success, CancellationToken ct)
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
