using System.Diagnostics;

namespace TenantAspire.AppHost;

/// <summary>Asks the container runtime CLI whether an engine answers (a client alone, as on CI machines, does not count).</summary>
public static class ContainerRuntimeProbe
{
    public static bool Answers(string cli = "docker", TimeSpan? timeout = null)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(cli, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null)
            {
                return false;
            }
            if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(5)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // the CLI is not installed
        }
    }
}
