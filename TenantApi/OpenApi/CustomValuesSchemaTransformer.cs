using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace TenantAspire.TenantApi.OpenApi;

/// <summary>
/// <c>custom</c> (a <see cref="JsonObject"/>) as a named, described open object: its shape is each tenant's own, so the document
/// can only say "field name → value" and point to the tenant's JSON Schema (<c>GET …/custom-fields/schema</c>).
/// </summary>
internal sealed class CustomValuesSchemaTransformer : IOpenApiSchemaTransformer
{
    public const string ReferenceId = "CustomValues";

    public static string? ReferenceIdOf(System.Text.Json.Serialization.Metadata.JsonTypeInfo type) =>
        type.Type == typeof(JsonObject) ? ReferenceId : OpenApiOptions.CreateDefaultSchemaReferenceId(type);

    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Type == typeof(JsonObject))
        {
            schema.Type = JsonSchemaType.Object;
            schema.Description = "Custom field values by field name (text, number, boolean, date as yyyy-MM-dd, or an enum value). "
                                 + "Each tenant defines its own fields: GET /api/tenants/{slug}/custom-fields/schema is their JSON Schema.";
            schema.AdditionalPropertiesAllowed = true;
        }
        return Task.CompletedTask;
    }
}
