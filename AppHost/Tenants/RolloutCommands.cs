using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;

namespace TenantAspire.AppHost.Tenants;

/// <summary>
/// The <c>tenants</c> resource's rollout commands: start one with the API's defaults (or a target and rings typed in), and pause or
/// resume the open one. At most one rollout is open (the API enforces it), so pause and resume need no id: they act on the newest.
/// </summary>
public sealed class RolloutCommands(AdminApi api)
{
    public const string Start = "start-rollout";
    public const string Pause = "pause-rollout";
    public const string Resume = "resume-rollout";

    public static IReadOnlyList<InteractionInput> StartArguments() =>
    [
        new() { Name = "target", Label = "Target migration (optional)", InputType = InputType.Text,
                Description = "Empty: the newest tenant migration of this build." },
        new() { Name = "rings", Label = "Rings (optional)", InputType = InputType.Text, Placeholder = "1,10,50,100",
                Description = "Cumulative percentages of the fleet after the canaries. Empty: 1, 10, 50, 100." },
    ];

    public async Task<ExecuteCommandResult> StartAsync(ExecuteCommandContext context)
    {
        var target = context.Arguments?.GetString("target") is { } t && !string.IsNullOrWhiteSpace(t) ? t.Trim() : null;
        int[]? rings;
        try
        {
            rings = ParseRings(context.Arguments?.GetString("rings"));
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            return CommandResults.Failure("Rings must be whole percentages separated by commas, e.g. 1,10,50,100.");
        }
        using var http = api.Client();
        using var response = await http.PostAsJsonAsync("/api/rollouts", new { target, rings }, context.CancellationToken);
        return await AdminApi.ResultAsync(response, $"Rollout to {target ?? "the newest migration"} started (GET /api/rollouts).", context.CancellationToken);
    }

    public Task<ExecuteCommandResult> PauseAsync(ExecuteCommandContext context) => TransitionAsync("pause", context.CancellationToken);

    public Task<ExecuteCommandResult> ResumeAsync(ExecuteCommandContext context) => TransitionAsync("resume", context.CancellationToken);

    /// <summary>"1, 10,50" → [1, 10, 50]; empty → null (the API's default plan); the API validates the plan itself.</summary>
    public static int[]? ParseRings(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null
            : [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(p => int.Parse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture))];

    private async Task<ExecuteCommandResult> TransitionAsync(string verb, CancellationToken ct)
    {
        using var http = api.Client();
        var newest = await http.GetFromJsonAsync<JsonElement>("/api/rollouts?page=1&pageSize=1", ct);
        if (newest.GetProperty("items") is not { ValueKind: JsonValueKind.Array } items || items.GetArrayLength() == 0)
        {
            return CommandResults.Failure("There is no rollout.");
        }
        var id = items[0].GetProperty("id").GetString();
        // A rollout that is not open gets the API's own 409, with its state, rather than a second wording of the rule here.
        using var response = await http.PostAsync($"/api/rollouts/{AdminApi.Segment(id)}/{verb}", content: null, ct);
        return await AdminApi.ResultAsync(response, $"Rollout {id}: {verb} accepted.", ct);
    }
}
