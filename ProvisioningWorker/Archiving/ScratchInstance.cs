using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using TenantAspire.ProvisioningWorker.Backups;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.ProvisioningWorker.Archiving;

/// <summary>
/// A throw-away Postgres restored from a server's archive to a moment, started, promoted at its target and read once. Disposing it
/// stops it, deletes its folder and releases the server's scratch lock (<see cref="ScratchInstances"/> made it).
/// </summary>
public sealed partial class ScratchInstance : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly IAsyncDisposable _lock;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly ConcurrentBag<string> _invalidPages = [];

    internal ScratchInstance(Process process, int port, string password, string folder, IAsyncDisposable held)
    {
        _process = process;
        _folder = folder;
        _lock = held;
        Port = port;
        Password = password;
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
    }

    public int Port { get; }

    private string Password { get; }

    /// <summary>The commit time of the last transaction recovery replayed (Postgres logs it as recovery ends).</summary>
    public DateTimeOffset? ReachedAt { get; private set; }

    /// <summary>Where replay stopped (the "redo done at" position).</summary>
    public string? WalPosition { get; private set; }

    /// <summary>How long pgBackRest took to lay down the base backup's files, and whether it had to restore the whole cluster.</summary>
    public TimeSpan FilesRestored { get; internal set; }
    public bool WholeCluster { get; internal set; }

    /// <summary>From the start of Postgres to its promotion at the target: WAL replay, mostly.</summary>
    public TimeSpan Replayed { get; internal set; }

    /// <summary>The superuser's login into <paramref name="database"/> of this instance (its roles are the server's at the target).</summary>
    public NpgsqlConnectionStringBuilder Endpoint(string database) => new()
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Password = Password,
        Database = database,
        Pooling = false,
        Timeout = 5,
    };

    /// <summary>Waits until recovery reached its target and the instance was promoted (then it accepts connections).</summary>
    public async Task WaitPromotedAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new BackupUnusableException("the scratch instance stopped during recovery: " + Tail());
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"the scratch instance did not reach its target within {timeout.TotalSeconds:0} s: " + Tail());
            }
            try
            {
                await using var connection = new NpgsqlConnection(Endpoint("postgres").ConnectionString);
                await connection.OpenAsync(ct);
                await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
                if (await command.ExecuteScalarAsync(ct) is false)
                {
                    ReadRecoveryEnd();
                    return;
                }
            }
            catch (NpgsqlException)
            {
                // still starting up or replaying (hot_standby is off: no connection before the promotion)
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
    }

    /// <summary>A hibernated tenant's database was closed to connections at the target: open it here (this copy only).</summary>
    public async Task OpenDatabaseAsync(string database, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(Endpoint("postgres").ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"ALTER DATABASE {SqlIdentifier.Quote(database)} ALLOW_CONNECTIONS true", connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The relation files of <paramref name="databaseOid"/> that replay found invalid pages in. A --db-include restore zeroes every
    /// other database, so replay meets invalid pages there and ignores them (ignore_invalid_pages, as pgBackRest's guide says);
    /// the restored database itself must have none, which the log tells.
    /// </summary>
    public IReadOnlyList<string> InvalidPagesIn(uint databaseOid) =>
        [.. _invalidPages.Where(path => DatabaseOidOf(path) == databaseOid).Distinct(StringComparer.Ordinal)];

    /// <summary>"base/16397/760179" or "pg_tblspc/16390/PG_15_202209061/16397/760179" → 16397.</summary>
    public static uint? DatabaseOidOf(string relationPath)
    {
        var parts = relationPath.Split('/');
        var index = parts[0] == "base" ? 1 : parts[0] == "pg_tblspc" ? 3 : -1;
        return index > 0 && parts.Length > index && uint.TryParse(parts[index], CultureInfo.InvariantCulture, out var oid) ? oid : null;
    }

    private void ReadRecoveryEnd()
    {
        foreach (var line in _log)
        {
            if (LastTransaction().Match(line) is { Success: true } last
                && DateTimeOffset.TryParse(last.Groups[1].Value + ":00", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                ReachedAt = at;
            }
            if (RedoDone().Match(line) is { Success: true } redo)
            {
                WalPosition = redo.Groups[1].Value;
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        if (InvalidPage().Match(line) is { Success: true } invalid)
        {
            _invalidPages.Add(invalid.Groups[1].Value); // kept whole: the capped log below may drop them
        }
        _log.Enqueue(line);
        while (_log.Count > 500 && _log.TryDequeue(out _))
        {
        }
    }

    private string Tail() => string.Join(" | ", _log.Where(l => l.Contains("FATAL", StringComparison.Ordinal) || l.Contains("ERROR", StringComparison.Ordinal)
                                                            || l.Contains("PANIC", StringComparison.Ordinal)).TakeLast(5)) is { Length: > 0 } errors
        ? errors
        : string.Join(" | ", _log.TakeLast(3));

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true); // a copy about to be deleted: no clean shutdown needed
                await _process.WaitForExitAsync(CancellationToken.None);
            }
            _process.Dispose();
            ScratchInstances.DeleteFolder(_folder);
        }
        finally
        {
            await _lock.DisposeAsync();
        }
    }

    // "last completed transaction was at log time 2026-12-05 21:54:08.275563+00": the offset lacks its minutes for .NET.
    [GeneratedRegex(@"last completed transaction was at log time (\S+ \S+[+-]\d\d)$")]
    private static partial Regex LastTransaction();

    [GeneratedRegex(@"redo done at ([0-9A-F]+/[0-9A-F]+)")]
    private static partial Regex RedoDone();

    // Postgres' report of an invalid page reference met in replay: "page 4 of relation base/16397/760179 is uninitialized".
    [GeneratedRegex(@"page \d+ of relation (\S+) (?:is uninitialized|does not exist|was uninitialized)")]
    private static partial Regex InvalidPage();
}
