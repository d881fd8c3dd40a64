using Scalar.AspNetCore;

namespace TenantAspire.TenantApi.Extensions;

internal static class OpenApiExtensions
{
    /// <summary>OpenAPI document at /openapi/v1.json and the Scalar UI at /scalar, in Development only.</summary>
    public static WebApplication MapApiReference(this WebApplication app)
    {
        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi();
            app.MapScalarApiReference();
        }
        return app;
    }
}
