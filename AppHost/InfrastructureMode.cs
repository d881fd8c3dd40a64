namespace TenantAspire.AppHost;

/// <summary>Where Postgres and Redis come from.</summary>
public enum InfrastructureMode
{
    /// <summary>AddPostgres/AddRedis containers (needs a container runtime; always used to publish).</summary>
    Containers,

    /// <summary>The machine's own postgres and redis-server binaries run as Aspire executables; no container resource at all.</summary>
    Local,
}

public static class InfrastructureModeSelector
{
    public const string ConfigurationKey = "Infrastructure";

    /// <summary>
    /// Publish mode always describes containers (the manifest must be deployable). Otherwise the configured value wins;
    /// "auto" (or nothing) picks containers only when a container runtime answers.
    /// </summary>
    public static InfrastructureMode Select(string? configured, bool isPublishMode, Func<bool> containerRuntimeAnswers)
    {
        if (isPublishMode)
        {
            return InfrastructureMode.Containers;
        }
        return configured?.Trim().ToLowerInvariant() switch
        {
            "containers" or "container" => InfrastructureMode.Containers,
            "local" => InfrastructureMode.Local,
            null or "" or "auto" => containerRuntimeAnswers() ? InfrastructureMode.Containers : InfrastructureMode.Local,
            _ => throw new InvalidInfrastructureModeException(configured),
        };
    }
}

public sealed class InvalidInfrastructureModeException(string value)
    : Exception($"Infrastructure='{value}' is not one of containers, local, auto.");
