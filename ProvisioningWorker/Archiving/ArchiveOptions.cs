namespace TenantAspire.ProvisioningWorker.Archiving;

/// <summary>Section <c>Archive</c>: base backups of the servers that archive their WAL, and point-in-time restores from them.</summary>
public sealed class ArchiveOptions
{
    public const string Section = "Archive";

    /// <summary>pgBackRest's executable (the worker runs it beside the server in local mode).</summary>
    public string PgBackRest { get; set; } = "pgbackrest";

    /// <summary>
    /// The repository's key (the backup store's account key; the AppHost hands it over). pgBackRest gets it through its environment
    /// (<see cref="Tenancy.Servers.ServerArchive.RepositoryKeyVariable"/>), as the servers' own archive_command does; never argv or a file.
    /// </summary>
    public string? RepositoryKey { get; set; }

    /// <summary>A full base backup this often; a point-in-time restore replays the WAL written since the backup it starts from.</summary>
    public TimeSpan FullBackupInterval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A differential base backup (files changed since the full one) this often, which bounds the WAL a restore replays.</summary>
    public TimeSpan DiffBackupInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the archive pass reads each server's archive state (and takes a base backup when one is due).</summary>
    public TimeSpan PassInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How far back each tier can be restored to; a server keeps the longest window of the tiers it holds (pgBackRest's time
    /// retention, in whole days, keeps the full backups that reach that far and the WAL after them).
    /// </summary>
    public Dictionary<string, TimeSpan> Window { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Standard"] = TimeSpan.FromDays(7),
        ["Premium"] = TimeSpan.FromDays(14),
    };

    /// <summary>Longest a scratch instance may take to replay to its target before the restore gives up on it.</summary>
    public TimeSpan ScratchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The system user a scratch instance runs as when the worker is root, in the postgres group: it can read the archive's
    /// repository (group-readable) but not write the live server's data or tablespace folders (mode 700), which WAL replay of a
    /// CREATE TABLESPACE would otherwise empty.
    /// </summary>
    public string ScratchUser { get; set; } = "nobody";

    /// <summary>
    /// How often each archiving server gets a point-in-time drill (a tenant restored to a random moment into a scratch database and
    /// checked); zero turns drills off.
    /// </summary>
    public TimeSpan DrillInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Longest the WAL holding a restore's target may take to reach the archive.</summary>
    public TimeSpan ArchiveWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The retention, in days, for a server holding <paramref name="tiers"/>.</summary>
    public int RetentionDays(IEnumerable<Tenancy.Catalog.TenantTier> tiers)
    {
        var longest = tiers.Select(t => Window.TryGetValue(t.ToString(), out var w) ? w : TimeSpan.FromDays(7)).DefaultIfEmpty(TimeSpan.FromDays(7)).Max();
        return Math.Max(1, (int)Math.Ceiling(longest.TotalDays));
    }
}
