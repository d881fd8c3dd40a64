using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.CustomFields;

public static class CustomFieldRegistration
{
    /// <summary>The custom-field index operation (its definitions and values are the API's, in the tenant's database).</summary>
    public static IHostApplicationBuilder AddCustomFields(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<CustomIndexes>();
        builder.Services.AddOperationHandler<CustomIndexHandler>(OperationKind.CustomIndexes, (h, o, ct) => h.RunAsync(o, ct));
        return builder;
    }
}
