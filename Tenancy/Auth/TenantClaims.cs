namespace TenantAspire.Tenancy.Auth;

/// <summary>The token contract: claim names and roles (docs/architecture.md, "Tokens").</summary>
public static class TenantClaims
{
    public const string TenantId = "tenant_id";
    public const string Role = "role";

    public const string PlatformAdmin = "platform-admin";
    public const string TenantAdmin = "tenant-admin";
    public const string Member = "member";

    public static readonly string[] AllRoles = [PlatformAdmin, TenantAdmin, Member];

    public const string DevIssuer = "tenantaspire-dev";
    public const string Audience = "tenant-api";
}
