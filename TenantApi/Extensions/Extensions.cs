using TenantAspire.Tenancy;

namespace TenantAspire.TenantApi.Extensions;

internal static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddCatalog();
        builder.AddRedisClient("redis");
        return builder;
    }
}
