using System.Text.Json;
using System.Text.Json.Serialization;
using TenantAspire.Tenancy;
using TenantAspire.Tenancy.Backups;
using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Telemetry;
using TenantAspire.TenantApi.Admin;
using TenantAspire.TenantApi.Apis;
using TenantAspire.TenantApi.Auth;
using TenantAspire.TenantApi.OpenApi;
using TenantAspire.TenantApi.Problems;
using TenantAspire.TenantApi.Tenants;

namespace TenantAspire.TenantApi.Extensions;

internal static class Extensions
{
    /// <summary>Bodies are small JSON documents; anything bigger is refused before it is read.</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddCatalog();
        builder.AddTenantRouting();
        builder.AddTenantCredentials(generatesKeys: false);
        builder.AddTenantConnections();
        builder.AddTenantTelemetry();
        builder.AddTokenAuthentication();
        builder.AddProblemResponses();

        builder.AddTenantOpenApi();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddBackupStore(); // reads only: export downloads and a restore's checksum check (pg_dump runs in the worker)
        builder.Services.AddSingleton<TenantWaker>();
        builder.Services.AddSingleton<ITenantHolds>(sp => sp.GetRequiredService<TenantWaker>());
        builder.Services.AddScoped<CustomFields.TenantCustomFields>(); // the request's view of its tenant's custom fields
        builder.Services.AddScoped<CustomFields.IndexRequests>();
        builder.Services.AddSingleton<TenantStateGate>();
        builder.Services.AddBaseline(builder.Configuration); // the tenancy-tax benchmark's twin; nothing unless configured
        builder.Services.AddOptions<TenantRateLimitOptions>().Bind(builder.Configuration.GetSection(TenantRateLimitOptions.Section))
            .Validate(o => o.Tiers.Values.All(t => t.PermitsPerSecond > 0 && t.Burst > 0), "RateLimits:Tiers:*: PermitsPerSecond and Burst must be positive.")
            .Validate(o => o.RefusalHold >= TimeSpan.Zero && o.RefusalHold <= TimeSpan.FromSeconds(1), "RateLimits:RefusalHold must be between 0 and 1 s.")
            .Validate(o => o.MaxHeldRefusalsPerTenant >= 0, "RateLimits:MaxHeldRefusalsPerTenant must not be negative.")
            .ValidateOnStart();
        builder.Services.AddSingleton<TenantRateLimiter>();
        builder.Services.AddSingleton<RefusalHold>();
        builder.Services.ConfigureHttpJsonOptions(o =>
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase)));
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o =>
            o.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        return builder;
    }

    public static WebApplication UseApplicationPipeline(this WebApplication app)
    {
        app.UseProblemResponses();
        app.Use(static (context, next) =>
        {
            TenantTelemetry.ForgetUntrusted();
            return next(context);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
