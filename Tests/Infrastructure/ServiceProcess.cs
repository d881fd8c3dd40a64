using System.Diagnostics;

namespace TenantAspire.Tests.Infrastructure;

/// <summary>
/// A real service (the built ProvisioningWorker.dll or TenantApi.dll) as its own OS process: a test can SIGKILL it mid-step and
/// start it again, as a crash or an OOM kill would; and, unlike a host in the test process, it shares no meters with the
/// in-process hosts (OpenTelemetry .NET stops every meter of a name when one of them is disposed, opentelemetry-dotnet#6412).
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;

    private ServiceProcess(Process process) => _process = process;

    /// <summary>Its process id: worker ids (and so claim holders) are <c>{machine}/{pid}/…</c>.</summary>
    public int Pid => _process.Id;

    /// <param name="project">The service's project folder and assembly name: ProvisioningWorker or TenantApi.</param>
    public static ServiceProcess Start(string project, IReadOnlyDictionary<string, string?> environment)
    {
        var assembly = Path.Combine(RepositoryRoot.Path, project, "bin", BuildConfiguration, "net10.0", project + ".dll");
        var start = new ProcessStartInfo("dotnet", [assembly])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {project}");
        // Drain its output so a full pipe never blocks it.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServiceProcess(process);
    }

    /// <summary>SIGKILL: no shutdown hook runs, leases are left to expire, half-done steps stay half done.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif
}
