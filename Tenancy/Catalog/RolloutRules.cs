namespace TenantAspire.Tenancy.Catalog;

/// <summary>Defaults and input rules of a rollout, shared by the admin API that accepts one and the worker that starts one itself.</summary>
public static class RolloutRules
{
    public static readonly int[] DefaultRings = [1, 10, 50, 100];
    public const double DefaultErrorBudget = 0.02;
    public const int MaxParallelism = 64;

    /// <summary>Null when the ring plan is valid: 1-10 strictly ascending percentages, the last 100.</summary>
    public static string? ValidateRings(IReadOnlyList<int>? percents) => percents switch
    {
        null or { Count: 0 } => "rings must list at least one percentage (the last one 100).",
        { Count: > 10 } => "rings may list at most 10 percentages.",
        _ when percents.Any(p => p is < 1 or > 100) => "every ring percentage must be between 1 and 100.",
        _ when percents.Zip(percents.Skip(1)).Any(p => p.Second <= p.First) => "ring percentages must be strictly ascending.",
        _ when percents[^1] != 100 => "the last ring must be 100 (every tenant).",
        _ => null,
    };

    /// <summary>Ring names for people: "canary", then the cumulative share of the rest, "1%", "10%", …</summary>
    public static string RingName(int ring, IReadOnlyList<int> percents) => ring == 0 ? "canary" : $"{percents[ring - 1]}%";

    public static string? ValidateErrorBudget(double budget) =>
        budget is >= 0 and <= 1 && double.IsFinite(budget) ? null : "errorBudget is a share of a ring between 0 and 1.";

    public static string? ValidateParallelism(int parallelism) =>
        parallelism is >= 1 and <= MaxParallelism ? null : $"parallelism must be between 1 and {MaxParallelism}.";
}
