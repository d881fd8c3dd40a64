using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TenantAspire.Tenancy.Context;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.Tenancy.Connections;

public static class ConnectionRegistration
{
    public static IHostApplicationBuilder AddTenantConnections(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<RegistryOptions>(builder.Configuration.GetSection(RegistryOptions.Section));
        builder.Services.AddSingleton<TenantSchema>();
        builder.Services.AddSingleton<TenantDataSources>();
        builder.Services.AddSingleton<BackendExits>();
        builder.Services.AddSingleton<TenantConnectionRegistry>();
        builder.Services.AddScoped<TenantContextHolder>();
        builder.Services.AddScoped<ITenantContext>(sp => sp.GetRequiredService<TenantContextHolder>());
        builder.Services.AddScoped<TenantDb>();
        return builder;
    }
}
