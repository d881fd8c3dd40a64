using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using TenantAspire.TenantApi.Admin;

namespace TenantAspire.TenantApi.OpenApi;

/// <summary>
/// <c>page</c> and <c>pageSize</c> as integers with their bounds. The generator types an <c>int?</c> query parameter as "integer or
/// string" (System.Text.Json may read numbers from strings), which tells a client nothing about what is accepted.
/// </summary>
internal sealed class PagingParametersTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Query))
        {
            (parameter.Schema, parameter.Description) = parameter.Name switch
            {
                "page" => (Bounded(1, Paging.MaxPage, 1), "Page number, from 1."),
                "pageSize" => (Bounded(1, Paging.MaxPageSize, Paging.DefaultPageSize), $"Items per page, 1 to {Paging.MaxPageSize}."),
                _ => (parameter.Schema, parameter.Description),
            };
        }
        return Task.CompletedTask;
    }

    private static OpenApiSchema Bounded(int minimum, int maximum, int @default) => new()
    {
        Type = JsonSchemaType.Integer,
        Format = "int32",
        Minimum = minimum.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Maximum = maximum.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Default = System.Text.Json.Nodes.JsonValue.Create(@default),
    };
}
