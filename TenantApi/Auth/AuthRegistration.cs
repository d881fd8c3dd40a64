using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using TenantAspire.Tenancy.Auth;

namespace TenantAspire.TenantApi.Auth;

internal static class AuthRegistration
{
    /// <summary>
    /// JWT bearer. Development with Auth:DevSigningKey (the AppHost hands it over as a secret parameter): tokens minted by
    /// <c>scripts/mint-token</c>. Otherwise Auth:Authority + Auth:Audience (a real identity provider).
    /// </summary>
    public static IHostApplicationBuilder AddTokenAuthentication(this IHostApplicationBuilder builder)
    {
        var config = builder.Configuration.GetSection("Auth");
        var devKey = config["DevSigningKey"];
        var authority = config["Authority"];
        if (!builder.Environment.IsDevelopment())
        {
            devKey = null; // development tokens are never accepted outside Development
        }
        if (string.IsNullOrEmpty(devKey) && string.IsNullOrEmpty(authority))
        {
            throw new InvalidOperationException(
                "No token validation configured: set Auth:Authority and Auth:Audience (or run in Development with Auth:DevSigningKey).");
        }

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                options.TokenValidationParameters.NameClaimType = "sub";
                options.TokenValidationParameters.RoleClaimType = TenantClaims.Role;
                options.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
                if (!string.IsNullOrEmpty(devKey))
                {
                    options.TokenValidationParameters.ValidIssuer = TenantClaims.DevIssuer;
                    options.TokenValidationParameters.ValidAudience = TenantClaims.Audience;
                    options.TokenValidationParameters.IssuerSigningKey = DevTokenIssuer.Key(devKey);
                    options.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
                }
                else
                {
                    options.Authority = authority;
                    options.Audience = config["Audience"] ?? TenantClaims.Audience;
                }
            });
        builder.Services.AddAuthorizationBuilder().AddTenantPolicies();
        return builder;
    }
}
