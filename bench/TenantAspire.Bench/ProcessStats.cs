using System.Globalization;

namespace TenantAspire.Bench;

/// <summary>CPU time and proportional memory of this machine's processes, from /proc (Linux): what the fleet benchmark charges to
/// the worker and to Postgres.</summary>
internal static class ProcessStats
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>Processes whose command line contains <paramref name="text"/>, with their children (Postgres backends).</summary>
    public static List<int> Find(string text)
    {
        var roots = All().Where(p => CommandLine(p).Contains(text, StringComparison.Ordinal)).ToHashSet();
        return [.. All().Where(p => roots.Contains(p) || roots.Contains(Parent(p)))];
    }

    /// <summary>User + system CPU seconds of these processes so far (exited ones drop out: measure over short windows).</summary>
    public static double CpuSeconds(IEnumerable<int> pids) => pids.Sum(pid => Read(pid, "stat") is { } stat
        ? Fields(stat) is var f && f.Length > 13 ? (double.Parse(f[11], CultureInfo.InvariantCulture) + double.Parse(f[12], CultureInfo.InvariantCulture)) / TicksPerSecond : 0
        : 0);

    /// <summary>Proportional set size in KB (shared memory split among the processes that map it, so it adds up).</summary>
    public static long PssKb(IEnumerable<int> pids) => pids.Sum(pid => Read(pid, "smaps_rollup") is { } rollup
        ? rollup.Split('\n').Where(l => l.StartsWith("Pss:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).FirstOrDefault()
        : 0);

    private static IEnumerable<int> All() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsDigit)).Select(n => int.Parse(n!, CultureInfo.InvariantCulture));

    private static string CommandLine(int pid) => Read(pid, "cmdline")?.Replace('\0', ' ') ?? "";

    private static int Parent(int pid) => Read(pid, "stat") is { } stat && Fields(stat) is { Length: > 1 } f ? int.Parse(f[1], CultureInfo.InvariantCulture) : 0;

    // The fields after "pid (comm)": comm may hold spaces, so split after its closing parenthesis. f[0] is the state.
    private static string[] Fields(string stat) => stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

    private static string? Read(int pid, string file)
    {
        try { return File.ReadAllText($"/proc/{pid}/{file}"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
