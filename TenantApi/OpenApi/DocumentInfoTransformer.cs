using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace TenantAspire.TenantApi.OpenApi;

/// <summary>Title, the tenant rules a client must know, the bearer scheme, and server URLs without a trailing slash.</summary>
internal sealed class DocumentInfoTransformer : IOpenApiDocumentTransformer
{
    private const string Rules = """
        Multi-tenant API: every tenant has its own database. Tenant-scoped operations exist in two equivalent forms:
        `/api/tenants/{slug}/…`, or `/api/…` with the header `X-Tenant-Id: {slug}` (both given and different: 400).

        **Tokens.** Every operation needs `Authorization: Bearer <JWT>` with claims `tenant_id` (the slug), `role`
        (`platform-admin`, `tenant-admin`, `member`) and `iat`. A tenant token reaches only its own tenant (403 otherwise), and
        only the tenant instance it was issued for: a token older than the tenant is refused (403). `member` reads users and
        manages projects; `tenant-admin` also manages users; `platform-admin` does everything. On a development stack, mint a
        token with `scripts/mint-token --role platform-admin` (or `--tenant acme --role tenant-admin`) and paste it into
        *Authorize*.

        **Errors** are RFC 9457 problem+json with a `traceId`. 429 (over the tenant's rate) and 503 (no connection within the
        budget's wait, the tenant's database briefly unavailable) carry `Retry-After`.
        """;

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "TenantAspire API";
        document.Info.Description = Rules;
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[OpenApiRegistration.BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A JWT with tenant_id, role and iat claims (development: scripts/mint-token).",
        };
        document.Tags = new HashSet<OpenApiTag>
        {
            new() { Name = "Tenants", Description = "Platform administration of tenants (platform-admin): create, list, suspend, hibernate, delete, export." },
            new() { Name = "Users", Description = "A tenant's users, in the tenant's own database. member reads; tenant-admin also writes." },
            new() { Name = "Projects", Description = "A tenant's projects, owned by a user of the same tenant. member and tenant-admin." },
            new() { Name = "Fleet", Description = "Operations on all tenants at once (platform-admin), e.g. a hibernation scan now." },
            new() { Name = "Diagnostics", Description = "This API replica's connection registry (platform-admin)." },
        };
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }
        return Task.CompletedTask;
    }
}
