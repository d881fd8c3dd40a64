using System.Reflection;
using Microsoft.Extensions.Configuration;
using TenantAspire.AppHost.Local;
using TenantAspire.Tenancy.Auth;

namespace TenantAspire.AppHost;

/// <summary>
/// <c>scripts/mint-token --tenant acme --role tenant-admin [--role member] [--hours 8]</c> (the built AppHost with verb mint-token):
/// prints a development JWT signed with this checkout's generated key, which only a Development stack accepts.
/// </summary>
public static class DevTokenCommand
{
    public const string Verb = "mint-token";
    public const string SigningKeySecret = "jwt-signing-key";

    /// <summary>
    /// The data root as the AppHost would resolve it (appsettings.json, environment, <c>LocalInfrastructure:DataRoot=…</c>
    /// arguments), without building the application: the AppHost's directory comes from the metadata the Aspire SDK compiles in.
    /// </summary>
    public static LocalDataRoot DataRoot(string[] args)
    {
        var appHostDirectory = typeof(DevTokenCommand).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "apphostprojectpath")?.Value ?? AppContext.BaseDirectory;
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(appHostDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args.Where(a => a.Contains('=', StringComparison.Ordinal)).ToArray())
            .Build();
        return LocalDataRoot.Resolve(configuration[LocalDataRoot.ConfigurationKey], appHostDirectory);
    }

    public static int Run(string[] args, LocalDataRoot dataRoot)
    {
        string? tenant = null;
        var roles = new List<string>();
        var hours = 8.0;
        // Configuration overrides (Key=Value, e.g. LocalInfrastructure:DataRoot=…) were read by DataRoot; the rest are options.
        var options = args.Skip(1).Where(a => !a.Contains('=', StringComparison.Ordinal)).ToArray();
        if (options.Length % 2 != 0)
        {
            return Usage($"option {options[^1]} has no value");
        }
        for (var i = 0; i < options.Length; i += 2)
        {
            switch (options[i])
            {
                case "--tenant": tenant = options[i + 1]; break;
                case "--role": roles.Add(options[i + 1]); break;
                case "--hours": hours = double.Parse(options[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                default: return Usage($"unknown option {options[i]}");
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
