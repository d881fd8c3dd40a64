using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Servers;

namespace TenantAspire.ProvisioningWorker.Archiving;

/// <summary>pgBackRest failed; the message carries its own error (stderr, trimmed).</summary>
public sealed class PgBackRestException(string command, int exitCode, string stderr)
    : Exception($"pgbackrest {command} exited with {exitCode}: {Trim(stderr)}")
{
    public string Stderr { get; } = stderr;

    private static string Trim(string text) => text.Trim() is { Length: > 1000 } long_ ? long_[..1000] : text.Trim();
}

/// <summary>One base backup in a stanza's repository (<c>pgbackrest info --output=json</c>).</summary>
public sealed record BaseBackup(string Label, string Type, DateTimeOffset Start, DateTimeOffset Stop);

/// <summary>
/// Runs pgBackRest, the one place the worker does: as the postgres user (it owns the repository and reads the data folder) for
/// backups and the repository's state, as <see cref="ArchiveOptions.ScratchUser"/> for a scratch restore. When the worker is not
/// root it runs as itself (it then owns the local servers too). A server's superuser password reaches pgBackRest through the
/// environment (libpq's PGPASSWORD), never argv, as does the repository's key.
/// </summary>
public sealed class PgBackRest(IOptions<ArchiveOptions> options)
{
    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Hands the repository key to a process that runs pgBackRest (itself, or a scratch Postgres' restore_command).</summary>
    public void AddRepositoryKey(ProcessStartInfo start)
    {
        if (options.Value.RepositoryKey is { Length: > 0 } key)
        {
            start.Environment[ServerArchive.RepositoryKeyVariable] = key;
        }
    }

    public Task<string> RunAsPostgresAsync(ServerArchive archive, string? password, IReadOnlyList<string> args, CancellationToken ct) =>
        RunAsync(archive, IsRoot ? ["--reuid=postgres", "--regid=postgres", "--init-groups"] : null, password, args, ct);

    public Task<string> RunAsScratchAsync(ServerArchive archive, IReadOnlyList<string> args, CancellationToken ct) =>
        RunAsync(archive, IsRoot ? [$"--reuid={options.Value.ScratchUser}", "--regid=postgres", "--clear-groups"] : null, null, args, ct);

    /// <summary>The stanza's base backups, oldest first.</summary>
    public async Task<IReadOnlyList<BaseBackup>> BackupsAsync(ServerArchive archive, CancellationToken ct)
    {
        var json = await RunAsPostgresAsync(archive, null, ["info", "--output=json"], ct);
        return ParseBackups(json);
    }

    public static IReadOnlyList<BaseBackup> ParseBackups(string json)
    {
        using var document = JsonDocument.Parse(json);
        var list = new List<BaseBackup>();
        foreach (var stanza in document.RootElement.EnumerateArray())
        {
            if (!stanza.TryGetProperty("backup", out var backups))
            {
                continue;
            }
            foreach (var backup in backups.EnumerateArray())
            {
                if (backup.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.True)
                {
                    continue; // a backup pgBackRest found damaged while taking it: never a restore's base
                }
                var timestamp = backup.GetProperty("timestamp");
                list.Add(new(backup.GetProperty("label").GetString()!, backup.GetProperty("type").GetString()!,
                    DateTimeOffset.FromUnixTimeSeconds(timestamp.GetProperty("start").GetInt64()),
                    DateTimeOffset.FromUnixTimeSeconds(timestamp.GetProperty("stop").GetInt64())));
            }
        }
        return [.. list.OrderBy(b => b.Stop)];
    }

    private async Task<string> RunAsync(ServerArchive archive, string[]? asUser, string? password, IReadOnlyList<string> args,
        CancellationToken ct)
    {
        var start = new ProcessStartInfo(asUser is null ? options.Value.PgBackRest : "setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (asUser is not null)
        {
            foreach (var arg in asUser)
            {
                start.ArgumentList.Add(arg);
            }
            start.ArgumentList.Add(options.Value.PgBackRest);
        }
        start.ArgumentList.Add($"--config={archive.Config}");
        start.ArgumentList.Add($"--stanza={archive.Stanza}");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        if (password is not null)
        {
            start.Environment["PGPASSWORD"] = password;
        }
        AddRepositoryKey(start);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("pgbackrest did not start");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
        {
            var stderr = await errors;
            throw new PgBackRestException(args.FirstOrDefault(a => !a.StartsWith('-')) ?? "", process.ExitCode,
                stderr.Length > 0 ? stderr : await output);
        }
        return await output;
    }
}
