using Xunit.Abstractions;

namespace TenantAspire.Tests.Infrastructure;

/// <summary>
/// The fault suite's rows for docs/reliability.md: written to the test output and appended to artifacts/reliability-rows.md
/// (git-ignored), so a run of ./test.sh leaves the measured table behind.
/// </summary>
public static class ReliabilityReport
{
    private static readonly Lock Gate = new();

    public static void Row(ITestOutputHelper output, string row)
    {
        output.WriteLine(row);
        var file = Path.Combine(RepositoryRoot.Path, "artifacts", "reliability-rows.md");
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.AppendAllText(file, $"{DateTimeOffset.UtcNow:u} {row}{Environment.NewLine}");
        }
    }
}
