using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TenantAspire.Tenancy.Auth;

/// <summary>
/// Development tokens (HS256 with the stack's generated signing key), in the shape of <c>dotnet user-jwts</c>. The API accepts
/// them only in Development with that key configured; production validates tokens from a real authority instead.
/// </summary>
public static class DevTokenIssuer
{
    public static SymmetricSecurityKey Key(string signingKey) => new(Encoding.UTF8.GetBytes(signingKey));

    public static string Mint(string signingKey, string? tenant, IEnumerable<string> roles, TimeSpan lifetime,
        string subject = "dev-user", DateTimeOffset? now = null)
    {
        var issued = now ?? DateTimeOffset.UtcNow;
        var claims = new List<Claim> { new(JwtRegisteredClaimNames.Sub, subject), new(JwtRegisteredClaimNames.Name, subject) };
        if (tenant is not null)
        {
            claims.Add(new(TenantClaims.TenantId, tenant));
        }
        claims.AddRange(roles.Select(r => new Claim(TenantClaims.Role, r)));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = TenantClaims.DevIssuer,
            Audience = TenantClaims.Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = issued.UtcDateTime,
            NotBefore = issued.UtcDateTime.AddSeconds(-1),
            Expires = issued.Add(lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(Key(signingKey), SecurityAlgorithms.HmacSha256),
        });
    }
}
