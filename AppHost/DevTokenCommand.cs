using TenantAspire.AppHost.Local;
using TenantAspire.Tenancy.Auth;

namespace TenantAspire.AppHost;

/// <summary>
/// <c>dotnet run --project AppHost --no-launch-profile -v q -- mint-token --tenant acme --role tenant-admin [--role member] [--hours 8]</c>:
/// prints a development JWT signed with this checkout's generated key, which only a Development stack accepts.
/// </summary>
public static class DevTokenCommand
{
    public const string Verb = "mint-token";
    public const string SigningKeySecret = "jwt-signing-key";

    public static int Run(string[] args, LocalDataRoot dataRoot)
    {
        string? tenant = null;
        var roles = new List<string>();
        var hours = 8.0;
        for (var i = 1; i < args.Length - 1; i += 2)
        {
            switch (args[i])
            {
                case "--tenant": tenant = args[i + 1]; break;
                case "--role": roles.Add(args[i + 1]); break;
                case "--hours": hours = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                default: return Usage($"unknown option {args[i]}");
            }
        }
        if (roles.Count == 0 || roles.Any(r => !TenantClaims.AllRoles.Contains(r)))
        {
            return Usage($"--role must be one of {string.Join(", ", TenantClaims.AllRoles)}");
        }
        if (tenant is null && !roles.Contains(TenantClaims.PlatformAdmin))
        {
            return Usage("--tenant is required unless --role platform-admin");
        }
        dataRoot.EnsureExists();
        Console.WriteLine(DevTokenIssuer.Mint(dataRoot.ReadOrCreateSecret(SigningKeySecret), tenant, roles, TimeSpan.FromHours(hours)));
        return 0;
    }

    private static int Usage(string error)
    {
        Console.Error.WriteLine($"{error}. Usage: mint-token [--tenant <slug>] --role <platform-admin|tenant-admin|member> [--hours 8]");
        return 2;
    }
}
