using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace TenantAspire.Tenancy.Credentials;

/// <summary>Tenant role passwords: generated here, stored only protected (Data Protection), revealed only to build a connection.</summary>
public sealed class TenantCredentialProtector(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("TenantAspire.TenantRolePassword.v1");

    public static string GeneratePassword() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public string Protect(string password) => _protector.Protect(password);

    public string Unprotect(string protectedPassword) => _protector.Unprotect(protectedPassword);
}
