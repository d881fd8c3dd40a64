namespace TenantAspire.AppHost;

/// <summary>
/// Continuous archiving of a local server's WAL with pgBackRest (local infrastructure mode; see docs/operations.md).
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
}
