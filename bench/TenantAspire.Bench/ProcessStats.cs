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

    /// <summary>The oldest process whose command line contains <paramref name="text"/> and whose parent's does not (a postmaster).</summary>
    public static int Root(string text)
    {
        var matches = All().Where(p => CommandLine(p).Contains(text, StringComparison.Ordinal)).ToHashSet();
        return matches.Single(p => !matches.Contains(Parent(p)));
    }

    /// <summary>
    /// CPU seconds a process and everything it ever started have used: its own, its reaped children's (Linux adds an exited
    /// child's time to its parent's cutime/cstime when the parent waits for it, as the postmaster does) and its live children's
    /// with theirs (the archiver's reaped <c>archive-push</c> processes). Unlike <see cref="CpuSeconds"/>, short-lived children
    /// (autovacuum workers, brief sessions) are not lost.
    /// </summary>
    public static double TreeCpuSeconds(int root) => WithReapedChildren(root) + Children(root).Sum(WithReapedChildren);

    /// <summary>User + system CPU seconds of a process and of the children it has reaped.</summary>
    public static double WithReapedChildren(int pid) => Read(pid, "stat") is { } stat && Fields(stat) is { Length: > 14 } f
        ? f[11..15].Sum(v => double.Parse(v, CultureInfo.InvariantCulture)) / TicksPerSecond
        : 0;

    /// <summary>Live children of a process, with their command lines.</summary>
    public static IEnumerable<(int Pid, string CommandLine)> ChildrenWithCommandLines(int root) =>
        Children(root).Select(p => (p, CommandLine(p)));

    private static List<int> Children(int root) => [.. All().Where(p => Parent(p) == root)];

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
