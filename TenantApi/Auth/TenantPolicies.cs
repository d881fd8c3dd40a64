using Microsoft.AspNetCore.Authorization;
using TenantAspire.Tenancy.Auth;

namespace TenantAspire.TenantApi.Auth;

/// <summary>
/// The product's roles, as authorization policies (the one place that says which role may do what; docs/architecture.md,
/// "Tokens and roles"): <c>platform-admin</c> everything; <c>tenant-admin</c> manages its tenant's users and projects;
/// <c>member</c> reads users and creates, edits and deletes projects. A refused policy is a 403 problem+json. Which tenant a token
/// may reach is a separate rule (<see cref="TenantAccessGuard"/>).
/// </summary>
public static class TenantPolicies
{
    public const string PlatformAdmin = "platform-admin";

    /// <summary>Read a tenant's users and projects; create, edit and delete its projects.</summary>
    public const string TenantMember = "tenant-member";

    /// <summary>Create, edit and delete a tenant's users.</summary>
    public const string TenantAdmin = "tenant-admin";

    public static AuthorizationBuilder AddTenantPolicies(this AuthorizationBuilder authorization) => authorization
        .AddPolicy(PlatformAdmin, p => p.RequireAuthenticatedUser().RequireRole(TenantClaims.PlatformAdmin))
        .AddPolicy(TenantAdmin, p => p.RequireAuthenticatedUser().RequireRole(TenantClaims.PlatformAdmin, TenantClaims.TenantAdmin))
        .AddPolicy(TenantMember, p => p.RequireAuthenticatedUser()
            .RequireRole(TenantClaims.PlatformAdmin, TenantClaims.TenantAdmin, TenantClaims.Member));
}
