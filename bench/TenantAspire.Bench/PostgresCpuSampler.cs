using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Bench;

/// <summary>
/// Where a Postgres server's CPU goes over a window: samples the postmaster's children every 200 ms, charges each one's CPU growth
/// to what its process title says it is (the autovacuum launcher, autovacuum workers, background processes, sessions by login),
/// and reports what exited between two samples (mostly autovacuum workers, which live a few milliseconds at rest) as the rest of
/// the postmaster's tree total (<see cref="ProcessStats.TreeCpuSeconds"/>), so the parts add up to the measured whole.
/// </summary>
internal sealed class PostgresCpuSampler
{
    private readonly int _postmaster;
    private readonly Dictionary<int, (string Class, double First, double Last)> _seen = [];
    private readonly double _treeStart;

    private PostgresCpuSampler(int postmaster)
    {
        _postmaster = postmaster;
        _treeStart = ProcessStats.TreeCpuSeconds(postmaster);
        Sample(baseline: true);
    }

    public static Task<PostgresCpu> MeasureAsync(int postmaster, TimeSpan window) =>
        MeasureUntilAsync(postmaster, Task.Delay(window), TimeSpan.FromMilliseconds(200));

    /// <summary>Until <paramref name="until"/> completes, sampling every <paramref name="every"/>.</summary>
    public static async Task<PostgresCpu> MeasureUntilAsync(int postmaster, Task until, TimeSpan every)
    {
        var sampler = new PostgresCpuSampler(postmaster);
        while (!until.IsCompleted)
        {
            await Task.WhenAny(until, Task.Delay(every));
            sampler.Sample(baseline: false);
        }
        var total = ProcessStats.TreeCpuSeconds(postmaster) - sampler._treeStart;
        var parts = sampler._seen.Values.GroupBy(v => v.Class).Select(g => (g.Key, g.Sum(v => v.Last - v.First))).ToList();
        parts.Add(("exited between samples (short-lived: autovacuum workers at rest, brief sessions)", Math.Max(0, total - parts.Sum(p => p.Item2))));
        var processes = sampler._seen.Values.GroupBy(v => v.Class).ToDictionary(g => g.Key, g => g.Count());
        return new(total, [.. parts.OrderByDescending(p => p.Item2)], processes);
    }

    private void Sample(bool baseline)
    {
        foreach (var (pid, commandLine) in ProcessStats.ChildrenWithCommandLines(_postmaster))
        {
            if (commandLine.Length == 0)
            {
                continue; // exited since it was listed: its last reading stands, the rest is the tree's remainder
            }
            var cpu = ProcessStats.WithReapedChildren(pid); // the archiver's archive-push runs are its reaped children
            // The latest title: a backend first seen while starting still carries the postmaster's command line.
            _seen[pid] = _seen.TryGetValue(pid, out var known)
                ? known with { Class = Classify(commandLine), Last = Math.Max(known.Last, cpu) }
                : (Classify(commandLine), baseline ? cpu : 0, cpu); // born inside the window: all its CPU counts
        }
    }

    /// <summary>From the process title: "postgres: autovacuum worker tdb_…", "postgres: tenant_provisioner postgres 127.0.0.1(…) idle".</summary>
    private static string Classify(string commandLine)
    {
        var title = commandLine.StartsWith("postgres: ", StringComparison.Ordinal) ? commandLine["postgres: ".Length..] : commandLine;
        string[] background = ["autovacuum launcher", "autovacuum worker", "checkpointer", "background writer", "walwriter", "archiver",
            "logical replication launcher", "walsender", "startup", "logical replication worker"];
        if (background.FirstOrDefault(b => title.StartsWith(b, StringComparison.Ordinal)) is { } kind)
        {
            return kind;
        }
        var user = title.Split(' ', 2)[0];
        return user.StartsWith(TenantNaming.RolePrefix, StringComparison.Ordinal) ? "sessions: tenant logins" : $"sessions: {user}";
    }
}

/// <summary>A server's CPU over a window, by part, and how many processes of each part were seen (a lower bound for short-lived ones).</summary>
internal sealed record PostgresCpu(double Total, IReadOnlyList<(string Class, double Seconds)> Parts, IReadOnlyDictionary<string, int> Processes);
