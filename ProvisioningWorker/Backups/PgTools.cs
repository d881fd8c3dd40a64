using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Backups;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>
/// pg_dump and pg_restore, the one place the worker runs them (the API never does). pg_dump logs in as the tenant's own role;
/// pg_restore connects with the server's admin login and acts as the tenant's role (<c>--role</c>: SET ROLE after connecting)
/// in a database no one else uses yet. Either way a dump reads, and a restore creates, only what that role may; the password
/// reaches the child through its environment, never argv (visible to every local user). Streams only: no temporary file,
/// whatever the database's size.
/// </summary>
public sealed class PgTools(ServerResolver servers, IOptions<BackupOptions> options)
{
    private static readonly string[] DumpArgs =
    [
        "--format=custom", "--no-owner", "--no-privileges",
        // A move's bookkeeping table, owned by the mover: not tenant data, and the tenant's role may not read it. A move's
        // publication neither: a restore, run as the tenant's role, may not create one (superuser only).
        $"--exclude-table=public.{MoveNames.MarkerTable}", "--no-publications", "--no-subscriptions",
    ];

    /// <summary>Dumps (custom format) in the exported <paramref name="snapshot"/>, hashing what it writes to <paramref name="output"/>.</summary>
    public async Task<(string Sha256, long Bytes)> DumpAsync(string server, string database, string role, string password, string snapshot,
        Stream output, CancellationToken ct)
    {
        // As the tenant's own login (not the admin with --role): a delete's DROP DATABASE … WITH (FORCE) can end this session.
        using var process = Start("pg_dump", server, database, (role, password), role: null, redirectInput: false,
            [.. DumpArgs, $"--snapshot={snapshot}"]);
        var errors = process.StandardError.ReadToEndAsync(ct);
        (string, long) written;
        try
        {
            written = await HashingCopy.CopyAsync(process.StandardOutput.BaseStream, output, ct);
        }
        catch
        {
            Stop(process); // the store failed or we were cancelled: pg_dump must not linger on a pipe nobody reads
            throw;
        }
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new PgToolException("pg_dump", process.ExitCode, await errors);
        }
        return written;
    }

    /// <summary>
    /// Restores a custom-format dump read from <paramref name="input"/> into an empty database, in one transaction (a failed restore
    /// leaves the database empty), hashing what it reads.
    /// </summary>
    public async Task<(string Sha256, long Bytes)> RestoreAsync(string server, string database, string role, Stream input, CancellationToken ct)
    {
        using var process = Start("pg_restore", server, database, login: null, role, redirectInput: true,
            "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
            // Dumps made before the dump left them out may hold a move's publication, which the tenant's role may not create.
            "--no-publications", "--no-subscriptions");
        var errors = process.StandardError.ReadToEndAsync(ct);
        (string, long) read;
        try
        {
            await using (var stdin = process.StandardInput.BaseStream)
            {
                read = await HashingCopy.CopyAsync(input, stdin, ct);
            }
        }
        catch (IOException)
        {
            // pg_restore stopped reading (it failed): its exit code and message say why.
            await process.WaitForExitAsync(ct);
            throw new PgToolException("pg_restore", process.ExitCode, await errors);
        }
        catch
        {
            Stop(process); // the store failed or we were cancelled mid-stream
            throw;
        }
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new PgToolException("pg_restore", process.ExitCode, await errors);
        }
        return read;
    }

    /// <summary>
    /// Copies <paramref name="sourceDatabase"/> of another instance (a point-in-time restore's scratch instance, its superuser acting
    /// as <paramref name="sourceRole"/>, the tenant's role there) into an empty database of <paramref name="server"/>, restored as
    /// <paramref name="role"/>: pg_dump piped into <see cref="RestoreAsync"/>.
    /// </summary>
    public async Task CopyAsync(Npgsql.NpgsqlConnectionStringBuilder source, string sourceDatabase, string sourceRole, string server,
        string database, string role, CancellationToken ct)
    {
        using var dump = Start("pg_dump", source, sourceDatabase, sourceRole, redirectInput: false, DumpArgs);
        var errors = dump.StandardError.ReadToEndAsync(ct);
        try
        {
            await RestoreAsync(server, database, role, dump.StandardOutput.BaseStream, ct);
        }
        catch (PgToolException) when (dump.HasExited && dump.ExitCode != 0)
        {
            throw new PgToolException("pg_dump", dump.ExitCode, await errors); // pg_dump failed first: the restore only saw a short input
        }
        catch
        {
            Stop(dump);
            throw;
        }
        await dump.WaitForExitAsync(ct);
        if (dump.ExitCode != 0)
        {
            throw new PgToolException("pg_dump", dump.ExitCode, await errors);
        }
    }

    private static void Stop(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }

    /// <summary>Runs a tool as <paramref name="login"/>, or as the server's admin acting as <paramref name="role"/>.</summary>
    private Process Start(string tool, string server, string database, (string Role, string Password)? login, string? role,
        bool redirectInput, params string[] toolArgs)
    {
        var endpoint = servers.Endpoint(server);
        if (login is { } own)
        {
            endpoint.Username = own.Role;
            endpoint.Password = own.Password;
        }
        return Start(tool, endpoint, database, login is null ? role : null, redirectInput, toolArgs, asAdmin: login is null);
    }

    private Process Start(string tool, Npgsql.NpgsqlConnectionStringBuilder endpoint, string database, string? role, bool redirectInput,
        string[] toolArgs, bool asAdmin = true)
    {
        var start = new ProcessStartInfo(Path.Combine(options.Value.PgBin, tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
        };
        foreach (var arg in toolArgs)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var arg in new[] { "--host", endpoint.Host!, "--port", endpoint.Port.ToString(CultureInfo.InvariantCulture),
                     "--username", endpoint.Username!, "--dbname", database })
        {
            start.ArgumentList.Add(arg);
        }
        if (role is not null)
        {
            start.ArgumentList.Add("--role");
            start.ArgumentList.Add(role);
        }
        start.Environment["PGPASSWORD"] = endpoint.Password;
        start.Environment["PGAPPNAME"] = tool;
        if (asAdmin)
        {
            // Keep the statements of this session (never secrets here, but tenant data can appear in errors) out of the server
            // log. Only a superuser may set it; pg_dump as the tenant's login sends catalog queries and COPY … TO STDOUT, whose
            // text holds no tenant data.
            start.Environment["PGOPTIONS"] = "-c log_min_error_statement=panic";
        }
        return Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
    }
}

/// <summary>pg_dump or pg_restore failed; the message carries its own (stderr, trimmed).</summary>
public sealed class PgToolException(string tool, int exitCode, string stderr)
    : Exception($"{tool} exited with {exitCode}: {Trim(stderr)}")
{
    /// <summary>It could not reach the server (worth a retry), rather than failing on the data.</summary>
    public bool Unreachable { get; } = stderr.Contains("connection to server", StringComparison.Ordinal);

    private static string Trim(string stderr)
    {
        var text = stderr.Trim();
        return text.Length > 1000 ? text[..1000] : text;
    }
}
