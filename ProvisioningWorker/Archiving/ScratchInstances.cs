using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using TenantAspire.ProvisioningWorker.Backups;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Servers;

namespace TenantAspire.ProvisioningWorker.Archiving;

/// <summary>
/// Makes <see cref="ScratchInstance"/>s: one per server at a time across workers and catalogs (a session lock on the server
/// itself: the folder is the server's archive's, which every catalog on the server shares), in the folder <c>scratch</c> of the
/// server's archive folder, on a port the system hands out. pgBackRest restores the base backup that ended
/// last before the target with only the tenant's database (<c>--db-include</c>; the others come back as empty files) — or the
/// whole cluster when that backup predates the database — with every tablespace mapped inside the scratch folder, WAL replay up
/// to the target, promotion there, and archiving off (the copy never writes into the server's archive). As root it runs as
/// <see cref="ArchiveOptions.ScratchUser"/>: replaying a CREATE TABLESPACE would empty the live server's folder at the recorded
/// location, which that user cannot write (the restore then fails; it never harms the server). Whatever happens the folder is
/// deleted: by the instance's disposal, or by <see cref="RemoveLeftoversAsync"/> after a crash.
/// </summary>
public sealed class ScratchInstances(
    ServerConnections connections, ServerResolver servers, PgBackRest pgBackRest, IOptions<ArchiveOptions> options,
    IOptions<BackupOptions> backupOptions, ILogger<ScratchInstances> logger)
{
    public static string FolderOf(ServerArchive archive) => Path.Combine(Path.GetDirectoryName(archive.Config)!, "scratch");

    /// <summary>A crashed worker's scratch instance of <paramref name="server"/>, unless a live worker is using it.</summary>
    public async Task RemoveLeftoversAsync(string server, CancellationToken ct)
    {
        var folder = FolderOf(servers.Definition(server).Archive!);
        if (!Directory.Exists(folder))
        {
            return;
        }
        if (await AdvisoryLocks.HoldOnServerAsync(await connections.OpenProvisionerAsync(server, ct), AdvisoryLocks.ScratchInstance,
                wait: false, ct) is not { } held)
        {
            return;
        }
        await using (held)
        {
            logger.LogWarning("Removing a scratch instance of server {Server} left by a crash", server);
            DeleteFolder(folder);
        }
    }

    /// <summary>Restores <paramref name="server"/>'s <paramref name="database"/> as it was at <paramref name="target"/> and starts it.</summary>
    public async Task<ScratchInstance> StartAsync(string server, string database, DateTimeOffset target, CancellationToken ct)
    {
        var archive = servers.Definition(server).Archive ?? throw new BackupUnusableException($"server '{server}' does not archive its WAL");
        IAsyncDisposable? held = null;
        var handedOver = false;
        try
        {
            held = await AdvisoryLocks.HoldOnServerAsync(await connections.OpenProvisionerAsync(server, ct), AdvisoryLocks.ScratchInstance,
                wait: true, ct);
            var folder = FolderOf(archive);
            DeleteFolder(folder); // the lock is ours: whatever is there was left by a crash
            var backup = BaseBackupPolicy.StartingPoint(await pgBackRest.BackupsAsync(archive, ct), target)
                         ?? throw new BackupUnusableException($"server '{server}' has no base backup that ended before {target:O}");
            var files = Stopwatch.StartNew();
            var wholeCluster = await RestoreFilesAsync(archive, folder, backup, database, target, ct);
            files.Stop();
            var replay = Stopwatch.StartNew();
            var instance = new ScratchInstance(StartPostgres(folder, server, wholeCluster, out var port), port, servers.Endpoint(server).Password!, folder,
                held!) { FilesRestored = files.Elapsed, WholeCluster = wholeCluster };
            handedOver = true; // the instance owns the lock now: disposing it releases it
            try
            {
                await instance.WaitPromotedAsync(options.Value.ScratchTimeout, ct);
                instance.Replayed = replay.Elapsed;
            }
            catch
            {
                await instance.DisposeAsync();
                throw;
            }
            return instance;
        }
        finally
        {
            if (!handedOver && held is not null)
            {
                DeleteFolder(FolderOf(archive));
                await held.DisposeAsync();
            }
        }
    }

    /// <summary>Lays down the base backup's files; true when the whole cluster had to be restored (not just the database).</summary>
    private async Task<bool> RestoreFilesAsync(ServerArchive archive, string folder, BaseBackup backup, string database, DateTimeOffset target,
        CancellationToken ct)
    {
        string[] Args(bool onlyDatabase) =>
        [
            // Paths inside the scratch folder: they also reach the restore_command pgBackRest writes (its asynchronous WAL
            // prefetch spools there, writable by the scratch user).
            $"--pg1-path={Path.Combine(folder, "data")}", $"--log-path={Path.Combine(folder, "log")}", $"--lock-path={Path.Combine(folder, "lock")}",
            $"--spool-path={Path.Combine(folder, "spool")}",
            "restore", $"--set={backup.Label}", "--type=time", "--target=" + target.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00",
            "--target-action=promote", "--archive-mode=off", $"--tablespace-map-all={Path.Combine(folder, "tablespaces")}",
            .. onlyDatabase ? new[] { $"--db-include={database}" } : [],
        ];
        await CreateFolderAsync(folder, ct);
        try
        {
            await pgBackRest.RunAsScratchAsync(archive, Args(onlyDatabase: true), ct);
            return false;
        }
        catch (PgBackRestException e) when (e.Stderr.Contains("[080]", StringComparison.Ordinal))
        {
            // The database was created after that base backup (pgBackRest can only leave out databases it holds): the whole cluster.
            DeleteFolder(folder);
            await CreateFolderAsync(folder, ct);
            await pgBackRest.RunAsScratchAsync(archive, Args(onlyDatabase: false), ct);
            return true;
        }
    }

    private async Task CreateFolderAsync(string folder, CancellationToken ct)
    {
        foreach (var sub in new[] { "data", "tablespaces", "log", "lock", "spool" })
        {
            Directory.CreateDirectory(Path.Combine(folder, sub));
        }
        if (!OperatingSystem.IsWindows()) // Postgres insists on a data folder only its owner can enter
        {
            File.SetUnixFileMode(Path.Combine(folder, "data"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        if (PgBackRest.IsRoot)
        {
            using var chown = Process.Start("chown", ["-R", $"{options.Value.ScratchUser}:postgres", folder])!;
            await chown.WaitForExitAsync(ct);
            if (chown.ExitCode != 0)
            {
                throw new InvalidOperationException($"chown of the scratch folder {folder} failed ({chown.ExitCode})");
            }
        }
    }

    private Process StartPostgres(string folder, string server, bool wholeCluster, out int port)
    {
        port = FreePort();
        var postgres = Path.Combine(backupOptions.Value.PgBin, "postgres");
        var start = new ProcessStartInfo(PgBackRest.IsRoot ? "setpriv" : postgres)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (PgBackRest.IsRoot)
        {
            foreach (var arg in new[] { $"--reuid={options.Value.ScratchUser}", "--regid=postgres", "--clear-groups", postgres })
            {
                start.ArgumentList.Add(arg);
            }
        }
        foreach (var arg in new[]
                 {
                     "-D", Path.Combine(folder, "data"), "-p", port.ToString(CultureInfo.InvariantCulture),
                     // hot_standby off: no session before the promotion at the target, and no check of the primary's settings.
                     "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "hot_standby=off",
                     "-c", "archive_mode=off", "-c", "autovacuum=off", "-c", "shared_buffers=32MB",
                     "-c", $"max_connections={Math.Max(20, servers.Definition(server).MaxConnections)}", "-c", "log_min_messages=log",
                 })
        {
            start.ArgumentList.Add(arg);
        }
        if (!wholeCluster)
        {
            // The other databases were restored as zeroed files: replay of the writes other tenants made after the base backup
            // meets invalid pages there and would PANIC ("WAL contains references to invalid pages", found by the pitr benchmark).
            // pgBackRest's guide: ignore them, then check the log that the restored database had none (PointInTimeRestorer).
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("ignore_invalid_pages=on");
        }
        pgBackRest.AddRepositoryKey(start); // its restore_command fetches WAL from the repository
        return Process.Start(start) ?? throw new InvalidOperationException("the scratch instance did not start");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Stops a Postgres still running in the folder (its postmaster.pid) and deletes the folder.</summary>
    internal static void DeleteFolder(string folder)
    {
        var pidFile = Path.Combine(folder, "data", "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
        {
            try
            {
                using var postmaster = Process.GetProcessById(pid);
                if (postmaster.ProcessName == "postgres") // not a process that got the number since
                {
                    postmaster.Kill(entireProcessTree: true);
                    postmaster.WaitForExit(10_000);
                }
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // gone already
            }
        }
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
