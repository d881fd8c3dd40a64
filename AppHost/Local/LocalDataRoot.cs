using System.Security.Cryptography;
using System.Text;

namespace TenantAspire.AppHost.Local;

/// <summary>
/// The folder that holds local-mode state (Postgres cluster, Redis AOF, generated secrets). Default: <c>.data/</c> at the
/// repository root (git-ignored). When the AppHost runs as root and the postgres user cannot traverse that path (a checkout under
/// /root is mode 700), it moves to <c>/var/tmp/tenantaspire/&lt;hash of the checkout path&gt;</c>, which that user can reach.
/// </summary>
public sealed class LocalDataRoot
{
    public const string ConfigurationKey = "LocalInfrastructure:DataRoot";

    private LocalDataRoot(string path) => Path = path;

    public string Path { get; }

    public static LocalDataRoot Resolve(string? configured, string appHostDirectory)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new LocalDataRoot(System.IO.Path.GetFullPath(configured));
        }
        var repoRoot = System.IO.Path.GetFullPath(System.IO.Path.Combine(appHostDirectory, ".."));
        if (!Environment.IsPrivilegedProcess || OthersCanTraverse(repoRoot))
        {
            return new LocalDataRoot(System.IO.Path.Combine(repoRoot, ".data"));
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(repoRoot)))[..12];
        return new LocalDataRoot(System.IO.Path.Combine("/var/tmp/tenantaspire", hash));
    }

    public string Combine(string child) => System.IO.Path.Combine(Path, child);

    /// <summary>
    /// A secret generated on first use and kept (mode 600) so a second run reuses it, as the Postgres cluster does.
    /// Never printed; the folder is git-ignored.
    /// </summary>
    public string ReadOrCreateSecret(string name) =>
        ReadOrCreateSecret(name, () => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));

    /// <inheritdoc cref="ReadOrCreateSecret(string)"/>
    public string ReadOrCreateSecret(string name, Func<string> create)
    {
        var dir = Combine("secrets");
        Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var file = System.IO.Path.Combine(dir, name);
        if (File.Exists(file))
        {
            return File.ReadAllText(file).Trim();
        }
        var secret = create();
        File.WriteAllText(file, secret);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return secret;
    }

    /// <summary>Creates the root so that the postgres user may traverse it (its own subfolder stays private to it).</summary>
    public void EnsureExists()
    {
        Directory.CreateDirectory(Path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                       | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }

    private static bool OthersCanTraverse(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return true;
        }
        for (var dir = new DirectoryInfo(path); dir is not null; dir = dir.Parent)
        {
            if (dir.Exists && (File.GetUnixFileMode(dir.FullName) & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }
        return true;
    }
}
