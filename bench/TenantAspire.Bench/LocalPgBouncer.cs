using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace TenantAspire.Bench;

/// <summary>
/// Debian's PgBouncer in front of the stack's Postgres, configured as its documentation advises for many databases: transaction
/// pooling, a wildcard database entry (a pool per database, created on first use), SCRAM authentication against an auth file,
/// per-database caps. Runs as the <c>postgres</c> user (PgBouncer refuses root), in the benchmark's data folder.
/// </summary>
/// <remarks>
/// PgBouncer is one single-threaded event loop that writes its log to stderr as well as to its log file. An earlier version of
/// this class redirected stderr and never read it: after ~110 pools the 64 KB pipe was full, PgBouncer's next log write blocked
/// its whole loop, and every client stalled with unread bytes (reported then as "PgBouncer at 0 requests/s"). So it runs with
/// <c>--quiet</c> (the log file keeps everything) and both pipes are drained anyway.
/// </remarks>
internal sealed class LocalPgBouncer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/pgbouncer";
    private readonly Process _process;
    private readonly string _folder;

    private LocalPgBouncer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <param name="logins">The logins PgBouncer accepts and logs in with (name, password): the auth file.</param>
    /// <param name="settings">Extra <c>[pgbouncer]</c> settings (pool sizes, caps, timeouts).</param>
    public static async Task<LocalPgBouncer> StartAsync(string server, string folder, IEnumerable<(string User, string Password)> logins,
        IReadOnlyDictionary<string, string> settings)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: apt-get install pgbouncer (Debian's 1.18)");
        }
        Directory.CreateDirectory(folder);
        var target = new NpgsqlConnectionStringBuilder(server);
        var port = TestSupport.FreePort.Next();
        // The logins' passwords themselves (PgBouncer computes SCRAM from them on both sides). The file lives in the run's data
        // folder, readable by the postgres user only, and goes with it.
        await File.WriteAllLinesAsync(Path.Combine(folder, "userlist.txt"), logins.Select(l => $"\"{l.User}\" \"{l.Password}\""));
        var lines = new List<string>
        {
            "[databases]",
            $"* = host={target.Host} port={target.Port}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            $"listen_port = {port}",
            "unix_socket_dir =",
            "auth_type = scram-sha-256",
            $"auth_file = {Path.Combine(folder, "userlist.txt")}",
            $"logfile = {Path.Combine(folder, "pgbouncer.log")}",
            "pool_mode = transaction",
            "max_client_conn = 10000",
            "ignore_startup_parameters = extra_float_digits",
        };
        lines.AddRange(settings.Select(s => $"{s.Key} = {s.Value}"));
        var ini = Path.Combine(folder, "pgbouncer.ini");
        await File.WriteAllLinesAsync(ini, lines);
        await Process.Start("chown", ["-R", "postgres:postgres", folder])!.WaitForExitAsync();
        await Process.Start("chmod", ["600", Path.Combine(folder, "userlist.txt")])!.WaitForExitAsync();
        // One client connection per idle client-side pool (a pool per tenant touched) besides the server connections: it needs
        // max_client_conn and descriptors in the thousands (this machine's limit is 20,000; PgBouncer logs what it expects).
        var process = Process.Start(new ProcessStartInfo("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", Binary, "--quiet", ini])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var startup = new ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) => Keep(startup, e.Data);
        process.OutputDataReceived += (_, e) => Keep(startup, e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var bouncer = new LocalPgBouncer(process, folder, port);
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return bouncer;
            }
            catch (SocketException) when (!process.HasExited)
            {
                await Task.Delay(50);
            }
        }
        throw new InvalidOperationException($"pgbouncer did not start: {string.Join('\n', startup)}");
    }

    private static void Keep(ConcurrentQueue<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }
        lines.Enqueue(line);
        while (lines.Count > 20 && lines.TryDequeue(out _))
        {
            // only the last lines matter (why it did not start)
        }
    }

    /// <summary>
    /// A tenant database through PgBouncer, with the Npgsql settings transaction pooling needs: no reset on close (the server
    /// connection is not the client's), no automatic preparation (a prepared statement is per server connection).
    /// </summary>
    public string ConnectionString(string server, string database, (string User, string Password) login, string applicationName) =>
        new NpgsqlConnectionStringBuilder(server)
        {
            Host = "127.0.0.1",
            Port = Port,
            Database = database,
            Username = login.User,
            Password = login.Password,
            ApplicationName = applicationName,
            NoResetOnClose = true,
            MaxAutoPrepare = 0,
        }.ConnectionString;

    /// <summary>
    /// What PgBouncer logged besides routine logins and closes, counted by message (its pool waits, evictions, server errors):
    /// the reason behind a setup's numbers.
    /// </summary>
    public IEnumerable<string> LogSummary()
    {
        var log = Path.Combine(_folder, "pgbouncer.log");
        if (!File.Exists(log))
        {
            return [];
        }
        string[] routine = ["login attempt", "new connection to server", "registered new auto-database", "client close request", "process up", "listening on", "file descriptor limit"];
        return File.ReadLines(log)
            .Where(line => !routine.Any(line.Contains))
            .Select(line => line.Contains(": ", StringComparison.Ordinal) ? line[(line.LastIndexOf(": ", StringComparison.Ordinal) + 2)..] : line)
            .Select(message => System.Text.RegularExpressions.Regex.Replace(message, @"[0-9.]+", "N"))
            .GroupBy(message => message)
            .OrderByDescending(g => g.Count())
            .Take(6)
            .Select(g => $"{g.Count()}× {g.Key}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
