using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace TenantAspire.Tenancy.Catalog;

/// <summary>
/// The server-wide names one catalog's workers own besides its tenants': the template, spare databases (ready and being
/// prepared) and drills' scratch databases. Several catalogs may share a server (a second deployment, the test suite's
/// variants), and each must keep its own: a spare is cloned at its catalog's template version (another catalog's, pinned
/// older, would hand out the wrong schema), and a leftover sweep drops every name under its prefix (another catalog's running
/// drill among them). So every name carries a token of the catalog's database name. Tokens are fixed-length hex and end in an
/// underscore, so no catalog's prefix is a prefix of another's; names never come from user input.
/// </summary>
public sealed class CatalogScopedNames
{
    private readonly string _token;

    public CatalogScopedNames(string catalogDatabase)
    {
        ArgumentException.ThrowIfNullOrEmpty(catalogDatabase);
        CatalogDatabase = catalogDatabase;
        _token = Token(catalogDatabase);
    }

    /// <summary>From <c>ConnectionStrings:catalog</c>'s database (the AppHost's is <c>catalog</c>).</summary>
    public static CatalogScopedNames FromConnectionString(string? catalogConnectionString) =>
        new(new NpgsqlConnectionStringBuilder(catalogConnectionString).Database is { Length: > 0 } database ? database : "catalog");

    public string CatalogDatabase { get; }

    /// <summary>The database new tenants are cloned from, kept at the catalog's new-tenant migration.</summary>
    public string TemplateDatabase => "tenant_template_" + _token;

    /// <summary>Databases cloned ahead of time, waiting to be renamed to a new tenant's name.</summary>
    public string SparePrefix => "tdb_spare_" + _token + "_";

    public string SpareDatabaseName(Guid id) => SparePrefix + id.ToString("N");

    /// <summary>A spare while it is being cloned and locked down: provisioning only claims <see cref="SparePrefix"/> names.</summary>
    public string PreparingSparePrefix => "tdb_prep_" + _token + "_";

    public string PreparingSpareName(Guid id) => PreparingSparePrefix + id.ToString("N");

    /// <summary>A backup drill's scratch database (dropped at the drill's end, or by the next drill after a crash).</summary>
    public string DrillPrefix => "tdb_drill_" + _token + "_";

    public string DrillDatabaseName(Guid backupId) => DrillPrefix + backupId.ToString("N");

    /// <summary>
    /// A point-in-time drill's scratch database. Its own prefix: the backup drills sweep theirs while a point-in-time drill may
    /// run (which dropped one mid-restore in CI). With the drilled server's token too, so that server's next drill, claimed alone
    /// on its row, sweeps what a crashed one left and nothing of another server's drill.
    /// </summary>
    public string PointInTimeDrillPrefix(string server) => "tdb_pitdrill_" + Token(server) + "_" + _token + "_";

    public string PointInTimeDrillDatabaseName(string server, Guid id) => PointInTimeDrillPrefix(server) + id.ToString("N");

    /// <summary>Eight hex characters of the name's SHA-256: short enough for 63-byte identifiers, safe in any identifier.</summary>
    private static string Token(string name) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
}
