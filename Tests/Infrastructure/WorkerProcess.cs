using System.Diagnostics;

namespace TenantAspire.Tests.Infrastructure;

/// <summary>
/// The real provisioning worker as its own OS process (the built ProvisioningWorker.dll), so a test can SIGKILL it mid-step
/// and start it again, as a crash or an OOM kill would.
/// </summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;

    private WorkerProcess(Process process) => _process = process;

    /// <summary>Its process id: worker ids (and so claim holders) are <c>{machine}/{pid}/…</c>.</summary>
    public int Pid => _process.Id;

    public static WorkerProcess Start(IReadOnlyDictionary<string, string?> environment)
    {
        var assembly = Path.Combine(RepositoryRoot.Path, "ProvisioningWorker", "bin", BuildConfiguration, "net10.0", "ProvisioningWorker.dll");
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
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the worker");
        // Drain its output so a full pipe never blocks it.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new WorkerProcess(process);
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
