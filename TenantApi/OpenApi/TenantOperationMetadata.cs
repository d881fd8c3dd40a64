namespace TenantAspire.TenantApi.OpenApi;

/// <summary>
/// The operation's name in the OpenAPI document. Tenant-scoped endpoints are mapped twice (route and header form), and endpoint
/// names must be unique, so they carry this instead of <c>WithName</c>; the header form's operationId gets a suffix.
/// </summary>
public sealed record TenantOperationName(string Name);

/// <summary>Marks the header form (<c>/api/…</c> + X-Tenant-Id) of a tenant-scoped endpoint.</summary>
public sealed class TenantHeaderForm
{
    public static readonly TenantHeaderForm Instance = new();

    public const string OperationIdSuffix = "ViaHeader";
}

public static class TenantOperationExtensions
{
    public static RouteHandlerBuilder WithOperation(this RouteHandlerBuilder endpoint, string name, string summary) =>
        endpoint.WithMetadata(new TenantOperationName(name)).WithSummary(summary);
}
