namespace TenantAspire.Tenancy.Catalog;

public static class Audit
{
    public const string WorkerActor = "provisioning-worker";

    public static AuditEvent Event(Tenant tenant, string action, string actor, DateTimeOffset at, string? detail = null) => new()
    {
        TenantId = tenant.Id,
        TenantSlug = tenant.Slug,
        Action = action,
        Actor = actor,
        At = at,
        Detail = detail is { Length: > 2000 } ? detail[..2000] : detail,
    };
}
