namespace TenantAspire.Tenancy.Catalog;

/// <summary>Postgres names for a tenant, derived from its GUID only (never from the slug or any other user input).</summary>
public static class TenantNaming
{
    public const string TemplateDatabase = "tenant_template";

    /// <summary>NOLOGIN role that owns the template's objects; REASSIGN OWNED hands them to each tenant's role.</summary>
    public const string TemplateOwnerRole = "tenant_template_owner";

    /// <summary>NOLOGIN role with CREATEDB/CREATEROLE (not superuser) that the worker assumes for provisioning.</summary>
    public const string ProvisionerRole = "tenant_provisioner";

    /// <summary>Databases cloned ahead of time, waiting to be renamed to a new tenant's name.</summary>
    public const string SparePrefix = "tdb_spare_";

    public static string SpareDatabaseName(Guid id) => SparePrefix + id.ToString("N");

    /// <summary>A spare while it is being cloned and locked down: provisioning only claims <see cref="SparePrefix"/> names.</summary>
    public const string PreparingSparePrefix = "tdb_prep_";

    public static string PreparingSpareName(Guid id) => PreparingSparePrefix + id.ToString("N");

    public static string DatabaseName(Guid tenantId) => "tdb_" + tenantId.ToString("N");

    /// <summary>The database a restore fills from a backup, which becomes the tenant's database at the swap.</summary>
    public static string RestoredDatabaseName(Guid restoreId) => "tdb_r" + restoreId.ToString("N");

    /// <summary>A drill's scratch database (dropped at the drill's end, or by the next drill after a crash).</summary>
    public const string DrillPrefix = "tdb_drill_";

    public static string DrillDatabaseName(Guid backupId) => DrillPrefix + backupId.ToString("N");

    /// <summary>
    /// A point-in-time drill's scratch database. Its own prefix: the backup drills sweep theirs while a point-in-time drill may
    /// run (which dropped one mid-restore in CI). With the drilled server's token (from its name, never user input), so that
    /// server's next drill, claimed alone on its row, sweeps what a crashed one left and nothing of another server's drill.
    /// </summary>
    public static string PointInTimeDrillPrefix(string server) =>
        "tdb_pitdrill_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(server)))[..8] + "_";

    public static string PointInTimeDrillDatabaseName(string server, Guid id) => PointInTimeDrillPrefix(server) + id.ToString("N");

    /// <summary>What every tenant login's name starts with (the orphan sweep parses it back; process titles show it).</summary>
    public const string RolePrefix = "trole_";

    public static string RoleName(Guid tenantId) => RolePrefix + tenantId.ToString("N");
}
