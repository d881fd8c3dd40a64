using System.Diagnostics;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Unit;

public sealed class ManifestFreshnessTests
{
    [Fact]
    public async Task Committed_manifest_matches_a_fresh_publish_of_the_AppHost()
    {
        // Written beside the committed file so that project paths, relative to the manifest, come out the same.
        var fresh = Path.Combine(RepositoryRoot.Path, "aspire-manifest.check.json");
        var committed = Path.Combine(RepositoryRoot.Path, "aspire-manifest.json");
        try
        {
            var start = new ProcessStartInfo("dotnet",
                [Path.Combine(AppContext.BaseDirectory, "AppHost.dll"), "--publisher", "manifest", "--output-path", fresh])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.Combine(RepositoryRoot.Path, "AppHost"),
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(process.ExitCode == 0, $"manifest publish failed: {await output}{await error}");

            Assert.True(
                await File.ReadAllTextAsync(committed) == await File.ReadAllTextAsync(fresh),
                "aspire-manifest.json is stale: regenerate it with " +
                "dotnet run --project AppHost -- --publisher manifest --output-path ../aspire-manifest.json");
        }
        finally
        {
            File.Delete(fresh);
        }
    }
}
