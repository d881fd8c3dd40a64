using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Api;

/// <summary>
/// The OpenAPI document of the running API: clean under Redocly's recommended rules, and identical to the committed copy
/// (docs/openapi.json) from which the committed client (Tests/ApiClient, Kiota) is generated, so a new endpoint cannot silently
/// break the document or leave the client behind.
/// </summary>
[Collection(AspireAppCollection.Name)]
public sealed class OpenApiDocumentTests(AspireAppFixture fixture)
{
    private const string Regenerate = "scripts/generate-client.sh";
    private static readonly string Live = Path.Combine(RepositoryRoot.Path, "artifacts", "openapi.json");
    private static readonly string Committed = Path.Combine(RepositoryRoot.Path, "docs", "openapi.json");

    [Fact]
    public async Task The_live_document_has_no_lint_errors_or_warnings_under_Redocly_recommended_rules()
    {
        await WriteLiveDocumentAsync();
        var (exit, output, errors) = await RunAsync(Path.Combine(RepositoryRoot.Path, ".tools", "redocly", "node_modules", ".bin", "redocly"),
            ["lint", "artifacts/openapi.json", "--format=json"]);
        Assert.True(output.Contains('{', StringComparison.Ordinal), $"redocly printed no report: {errors}");
        var report = JsonNode.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..])!;
        var totals = report["totals"]!;
        Assert.True(exit == 0 && (int)totals["errors"]! == 0 && (int)totals["warnings"]! == 0,
            $"redocly lint: {totals.ToJsonString()}\n{report["problems"]?.ToJsonString()}");
    }

    [Fact]
    public async Task The_committed_document_and_client_are_what_the_running_API_generates()
    {
        var live = await WriteLiveDocumentAsync();
        Assert.True(File.Exists(Committed) && Normalize(await File.ReadAllTextAsync(Committed)) == Normalize(live),
            $"docs/openapi.json differs from the running API's document (written to artifacts/openapi.json): run {Regenerate}");

        var fresh = Directory.CreateTempSubdirectory("apiclient-").FullName;
        try
        {
            var (exit, output, errors) = await RunAsync("dotnet", ["kiota", "generate", "--language", "CSharp", "--openapi", "docs/openapi.json",
                "--output", fresh, "--class-name", "TenantAspireClient", "--namespace-name", "TenantAspire.Tests.ApiClient",
                "--clean-output", "--exclude-backward-compatible", "--log-level", "Warning"]);
            Assert.True(exit == 0, output + errors);
            var committedClient = Path.Combine(RepositoryRoot.Path, "Tests", "ApiClient");
            Assert.Equal(CodeFiles(fresh), CodeFiles(committedClient));
        }
        finally
        {
            Directory.Delete(fresh, recursive: true);
        }
    }

    /// <summary>Relative path → content of every generated source file (kiota-lock.json names where it was generated).</summary>
    private static SortedDictionary<string, string> CodeFiles(string root) => new(
        Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => File.ReadAllText(f).ReplaceLineEndings()), StringComparer.Ordinal);

    /// <summary>The running API's document, with the server URL set to run.sh's port (each test stack gets another port).</summary>
    private async Task<string> WriteLiveDocumentAsync()
    {
        using var http = fixture.CreateHttpClient("tenant-api");
        var document = JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json"))!;
        document["servers"] = new JsonArray(new JsonObject { ["url"] = "http://localhost:5180" });
        var text = document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        Directory.CreateDirectory(Path.GetDirectoryName(Live)!);
        await File.WriteAllTextAsync(Live, text);
        return text;
    }

    private static string Normalize(string json) => JsonNode.Parse(json)!.ToJsonString();

    private static async Task<(int Exit, string Output, string Errors)> RunAsync(string command, string[] arguments)
    {
        var start = new ProcessStartInfo(command, arguments)
        {
            WorkingDirectory = RepositoryRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout, await stderr);
    }
}
