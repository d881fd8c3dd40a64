using System.Diagnostics;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.Servers;

namespace TenantAspire.TenantApi.Admin;

/// <summary>
/// Streams <c>pg_dump --format=custom</c> of a tenant's database, run as the tenant's own role (so it can read nothing else).
/// Restore with <c>pg_restore --no-owner --dbname=&lt;target&gt; tenant.dump</c> (docs/operations.md).
/// </summary>
public sealed class TenantExporter(IConfiguration configuration, ServerResolver servers, TenantCredentialProtector protector)
{
    /// <summary>Dumps to a temporary file first, so a failing pg_dump is an error answer rather than a truncated download.</summary>
    public async Task<FileStream> DumpAsync(Tenant tenant, CancellationToken ct)
    {
        var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await WriteAsync(tenant, file, ct);
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    private async Task WriteAsync(Tenant tenant, Stream output, CancellationToken ct)
    {
        var server = servers.Endpoint(tenant.Server);
        var start = new ProcessStartInfo(configuration["Export:PgDump"] ?? "/usr/lib/postgresql/15/bin/pg_dump",
            ["--format=custom", "--no-owner", "--no-privileges",
             "--host", server.Host!, "--port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--username", tenant.RoleName, "--dbname", tenant.DatabaseName])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The password goes through the environment of the child only, never argv (visible to every local user).
        start.Environment["PGPASSWORD"] = protector.Unprotect(tenant.ProtectedPassword!);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("pg_dump did not start");
        var errors = process.StandardError.ReadToEndAsync(ct);
        await process.StandardOutput.BaseStream.CopyToAsync(output, ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_dump exited with {process.ExitCode}: {(await errors).Trim()}");
        }
    }
}
