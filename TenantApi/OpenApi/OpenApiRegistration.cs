using Scalar.AspNetCore;

namespace TenantAspire.TenantApi.OpenApi;

internal static class OpenApiRegistration
{
    public const string BearerScheme = "Bearer";

    /// <summary>
    /// The OpenAPI document, made complete by transformers where the framework leaves gaps: the bearer scheme and a requirement on
    /// every secured operation; the tenant's <c>slug</c> path parameter and <c>X-Tenant-Id</c> header (they belong to route groups,
    /// not to handler parameters, so the generator never sees them); operationIds for the twice-mapped tenant endpoints; paging
    /// parameters as bounded integers; custom values as a described open object. Linted with Redocly's recommended rules in the tests (docs/api.md).
    /// </summary>
    public static IHostApplicationBuilder AddTenantOpenApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer<DocumentInfoTransformer>();
            options.AddOperationTransformer<SecurityRequirementTransformer>();
            options.AddOperationTransformer<TenantParametersTransformer>();
            options.AddOperationTransformer<PagingParametersTransformer>();
            options.CreateSchemaReferenceId = CustomValuesSchemaTransformer.ReferenceIdOf;
            options.AddSchemaTransformer<CustomValuesSchemaTransformer>();
        });
        return builder;
    }

    /// <summary>OpenAPI document at /openapi/v1.json and the Scalar UI at /scalar, in Development only.</summary>
    public static WebApplication MapApiReference(this WebApplication app)
    {
        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi();
            app.MapScalarApiReference(options => options
                .WithTitle("TenantAspire API")
                .AddPreferredSecuritySchemes(BearerScheme));
        }
        return app;
    }
}
