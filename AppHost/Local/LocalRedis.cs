using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace TenantAspire.AppHost.Local;

/// <summary>The machine's own redis-server, run as an Aspire executable (local infrastructure mode).</summary>
public sealed class LocalRedisResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string EndpointName = "tcp";

    private EndpointReference? _endpoint;

    public EndpointReference PrimaryEndpoint => _endpoint ??= new(this, EndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    // Same shape as the Redis hosting integration's, so StackExchange.Redis clients read it unchanged.
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)},password={PasswordParameter}");
}

public static class LocalRedisExtensions
{
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, string name, LocalDataRoot dataRoot)
    {
        var password = builder.AddParameter($"{name}-password", dataRoot.ReadOrCreateSecret($"{name}-password"), secret: true);
        var script = Path.Combine(AppContext.BaseDirectory, "Local", "run-redis.sh");
        var resource = new LocalRedisResource(name, "bash", dataRoot.Path, password.Resource);

        var healthKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(_ => ResourceConnectionStrings.Resolve(resource), name: healthKey);

        return builder.AddResource(resource)
            .WithArgs(script)
            .WithEndpoint(name: LocalRedisResource.EndpointName, scheme: "tcp", env: "REDIS_PORT")
            .WithEnvironment("REDIS_DIR", dataRoot.Combine(name))
            .WithEnvironment("REDIS_PASSWORD", password)
            .WithHealthCheck(healthKey)
            .WithIconName("Memory");
    }
}
