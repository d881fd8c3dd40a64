namespace TenantAspire.AppHost;

/// <summary>
/// Continuous archiving of a server's WAL with pgBackRest into the backup store (both infrastructure modes; docs/operations.md).
/// </summary>
public static class ArchiveSettings
{
    /// <summary>pgBackRest's configuration file inside the server's archive folder.</summary>
    public const string ConfigFile = "pgbackrest.conf";

    /// <summary>
    /// A quiet server still ships its current WAL segment this often, so every acknowledged write is archived within the RPO of
    /// 60 s (the segment is switched after this long, then pushed; the push takes well under a second here).
    /// </summary>
    public const string ArchiveTimeout = "30s";

    /// <summary>
    /// Publish mode's retention, in days, applied by the server container itself (the worker manages retention per tier only for the
    /// servers it can run pgBackRest beside): the longest default tier window (Premium, 14 days), so no tier loses history.
    /// </summary>
    public const string PublishedRetentionDays = "14";
}
