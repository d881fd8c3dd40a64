using System.Net.Http.Json;
using Aspire.Hosting.ApplicationModel;

namespace TenantAspire.AppHost.Tenants;

/// <summary>The <c>tenants</c> resource's commands on tenants, each one request to the admin API (see <see cref="AdminApi"/>).</summary>
public sealed class TenantsCommands(AdminApi api)
{
    public const string CreateTenant = "create-tenant";
    public const string HibernateIdle = "hibernate-idle";
    public const string BackUpNow = "back-up-now";
    public const string RestoreToPointInTime = "restore-point-in-time";
    public const string Actor = AdminApi.Actor;

    public static IReadOnlyList<InteractionInput> CreateTenantArguments() =>
    [
        new() { Name = "slug", Label = "Slug", InputType = InputType.Text, Required = true, Placeholder = "initech",
                Description = "Lower-case letters, digits and '-', 3-63 characters; the tenant's key in URLs and tokens." },
        new() { Name = "name", Label = "Name", InputType = InputType.Text, Required = true, Placeholder = "Initech" },
        new() { Name = "tier", Label = "Tier", InputType = InputType.Choice, Value = "standard",
                Options = [new("standard", "standard"), new("premium", "premium")] },
    ];

    public static IReadOnlyList<InteractionInput> BackUpNowArguments() =>
    [
        new() { Name = "slug", Label = "Tenant", InputType = InputType.Text, Required = true, Placeholder = "initech" },
    ];

    public static IReadOnlyList<InteractionInput> RestoreToPointInTimeArguments() =>
    [
        new() { Name = "slug", Label = "Tenant", InputType = InputType.Text, Required = true, Placeholder = "initech" },
        new() { Name = "pointInTime", Label = "Point in time", InputType = InputType.Text, Required = true,
                Placeholder = "2026-12-06T10:41:00Z",
                Description = "RFC 3339, within the tenant's recovery window (GET /api/tenants/{slug}/recovery)." },
        new() { Name = "asSlug", Label = "As a new tenant (optional)", InputType = InputType.Text, Placeholder = "initech-1041",
                Description = "Empty: in place (requests held briefly at the swap; undo possible). A slug: restored beside it as a new tenant." },
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
        using var http = api.Client();
        using var response = await http.PostAsJsonAsync("/api/tenants", body, context.CancellationToken);
        return await AdminApi.ResultAsync(response, $"Tenant '{body.slug}' accepted; it is provisioning.", context.CancellationToken);
    }

    public async Task<ExecuteCommandResult> HibernateIdleAsync(ExecuteCommandContext context)
    {
        using var http = api.Client();
        using var response = await http.PostAsync("/api/fleet/hibernation-scans", content: null, context.CancellationToken);
        return await AdminApi.ResultAsync(response, "Scan requested: idle tenants are being hibernated (watch tenants.hibernated).", context.CancellationToken);
    }

    public async Task<ExecuteCommandResult> BackUpNowAsync(ExecuteCommandContext context)
    {
        var slug = context.Arguments?.GetString("slug");
        using var http = api.Client();
        using var response = await http.PostAsync($"/api/tenants/{AdminApi.Segment(slug)}/backups", content: null, context.CancellationToken);
        return await AdminApi.ResultAsync(response, $"Backup of '{slug}' queued (GET /api/tenants/{slug}/backups).", context.CancellationToken);
    }

    public async Task<ExecuteCommandResult> RestoreToPointInTimeAsync(ExecuteCommandContext context)
    {
        var slug = context.Arguments?.GetString("slug");
        var asSlug = context.Arguments?.GetString("asSlug") is { Length: > 0 } sibling && !string.IsNullOrWhiteSpace(sibling) ? sibling.Trim() : null;
        // The moment goes to the API as typed: it parses and judges it (format, future, outside the window) in one place.
        var body = new { pointInTime = context.Arguments?.GetString("pointInTime")?.Trim(), asSlug };
        using var http = api.Client();
        using var response = await http.PostAsJsonAsync($"/api/tenants/{AdminApi.Segment(slug)}/restore", body, context.CancellationToken);
        var where = asSlug is null ? $"'{slug}' in place" : $"'{slug}' as '{asSlug}'";
        return await AdminApi.ResultAsync(response, $"Restore of {where} to {body.pointInTime} accepted (GET /api/tenants/{asSlug ?? slug}/restores).",
            context.CancellationToken);
    }
}
