using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.TenantApi.Tenants;

namespace TenantAspire.TenantApi.OpenApi;

/// <summary>
/// Declares what the route groups add and the generator cannot see from the handlers' parameters: the <c>slug</c> path
/// parameter, the <c>X-Tenant-Id</c> header of the header form, and operationIds for endpoints mapped in both forms.
/// </summary>
internal sealed class TenantParametersTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        operation.Parameters ??= [];
        if (context.Description.RelativePath?.Contains("{slug}", StringComparison.Ordinal) == true
            && !operation.Parameters.Any(p => p.Name == "slug" && p.In == ParameterLocation.Path))
        {
            operation.Parameters.Insert(0, new OpenApiParameter
            {
                Name = "slug",
                In = ParameterLocation.Path,
                Required = true,
                Description = "The tenant's slug.",
                Schema = SlugSchema(),
            });
        }
        var headerForm = metadata.OfType<TenantHeaderForm>().Any();
        if (headerForm)
        {
            operation.Parameters.Insert(0, new OpenApiParameter
            {
                Name = TenantResolutionFilter.HeaderName,
                In = ParameterLocation.Header,
                Required = true,
                Description = "The tenant's slug (the header form of /api/tenants/{slug}/…).",
                Schema = SlugSchema(),
            });
        }
        if (operation.OperationId is null && metadata.OfType<TenantOperationName>().LastOrDefault() is { } name)
        {
            operation.OperationId = headerForm ? name.Name + TenantHeaderForm.OperationIdSuffix : name.Name;
        }
        return Task.CompletedTask;
    }

    private static OpenApiSchema SlugSchema() => new()
    {
        Type = JsonSchemaType.String,
        Pattern = TenantSlug.Pattern,
        MinLength = 3,
        MaxLength = 63,
    };
}
