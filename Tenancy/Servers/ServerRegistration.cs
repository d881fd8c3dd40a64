using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace TenantAspire.Tenancy.Servers;

public static class ServerRegistration
{
    /// <summary>The server topology (bound and validated at start) and its one resolver.</summary>
    public static IHostApplicationBuilder AddTenantServers(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddOptions<ServerOptions>().Bind(configuration.GetSection(ServerOptions.Section))
            .Validate(o => ServerResolver.Validate(o, configuration) is null,
                $"The server topology is incomplete: check {ServerOptions.Section} and ConnectionStrings (the AppHost sets both).")
            .ValidateOnStart();
        builder.Services.AddSingleton<ServerResolver>();
        return builder;
    }
}
