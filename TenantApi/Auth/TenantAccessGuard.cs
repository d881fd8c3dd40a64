using System.Globalization;
using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.TenantApi.Auth;

/// <summary>
/// Which tenant a token may reach. A tenant-scoped token (tenant-admin, member) names its tenant by slug (<c>tenant_id</c>) and
/// is valid only for the tenant instance that existed when it was issued: its <c>iat</c> must not be earlier than the tenant's
/// creation (to the second, JWT's resolution). So a token minted for a deleted tenant never opens a new tenant that reuses the
/// slug, and identity providers need no knowledge of our tenant ids. Platform admins reach every tenant.
/// </summary>
public static class TenantAccessGuard
{
    /// <summary>Before the tenant is looked up (a token for another tenant learns nothing): null when the token may ask.</summary>
    public static string? CheckSlug(ClaimsPrincipal user, string slug)
    {
        if (user.IsInRole(TenantClaims.PlatformAdmin))
        {
            return null;
        }
        return string.Equals(user.FindFirstValue(TenantClaims.TenantId), slug, StringComparison.Ordinal)
               && (user.IsInRole(TenantClaims.TenantAdmin) || user.IsInRole(TenantClaims.Member))
            ? null
            : "The token is not valid for this tenant.";
    }

    /// <summary>After lookup: null when the token was issued for this instance of the tenant.</summary>
    public static string? CheckInstance(ClaimsPrincipal user, TenantRoute tenant)
    {
        if (user.IsInRole(TenantClaims.PlatformAdmin))
        {
            return null;
        }
        if (!long.TryParse(user.FindFirstValue(JwtRegisteredClaimNames.Iat), NumberStyles.None, CultureInfo.InvariantCulture, out var iat))
        {
            return "A tenant token must carry its issue time (iat).";
        }
        var createdSecond = tenant.CreatedAt.ToUnixTimeSeconds(); // iat has whole seconds: compare at that resolution
        return iat >= createdSecond ? null : "The token was issued before this tenant was created; get a new token.";
    }
}
