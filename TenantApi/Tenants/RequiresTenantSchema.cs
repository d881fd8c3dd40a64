using TenantAspire.Tenancy.Data;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// Endpoint metadata: this endpoint needs the tenant database at <see cref="Migration"/> or later. Endpoints without it need only
/// <c>TenantMigrations.MinimumServable</c>. A request to a tenant behind it is held while the worker migrates that tenant.
/// </summary>
public sealed record RequiresTenantSchema(string Migration)
{
    /// <summary>The schema the request's endpoint needs.</summary>
    public static string Of(HttpContext http) =>
        http.GetEndpoint()?.Metadata.GetMetadata<RequiresTenantSchema>()?.Migration ?? TenantMigrations.MinimumServable;
}

public static class RequiresTenantSchemaExtensions
{
    public static TBuilder RequiresTenantSchema<TBuilder>(this TBuilder builder, string migration) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiresTenantSchema(migration));
}
