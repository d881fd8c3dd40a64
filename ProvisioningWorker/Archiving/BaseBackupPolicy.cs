namespace TenantAspire.ProvisioningWorker.Archiving;

/// <summary>Which base backup a server needs now (pure; unit-tested with a fake clock): none, a differential one, or a full one.</summary>
public static class BaseBackupPolicy
{
    /// <returns>"full", "diff" or null.</returns>
    public static string? Due(IReadOnlyList<BaseBackup> backups, DateTimeOffset now, TimeSpan fullInterval, TimeSpan diffInterval)
    {
        var newestFull = backups.Where(b => b.Type == "full").Select(b => (DateTimeOffset?)b.Start).Max();
        if (newestFull is not { } full || now - full >= fullInterval)
        {
            return "full";
        }
        var newest = backups.Max(b => b.Start);
        return now - newest >= diffInterval ? "diff" : null;
    }

    /// <summary>
    /// The base backup a restore to <paramref name="target"/> starts from: the newest one that ended before it. pgBackRest's times
    /// are whole seconds, so a backup counts as ended a second after its recorded stop.
    /// </summary>
    public static BaseBackup? StartingPoint(IReadOnlyList<BaseBackup> backups, DateTimeOffset target) =>
        backups.Where(b => b.Stop.AddSeconds(1) <= target).MaxBy(b => b.Stop);
}
