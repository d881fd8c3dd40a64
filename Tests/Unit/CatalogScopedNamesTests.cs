using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.Tests.Unit;

/// <summary>The names a catalog owns on a server it may share with other catalogs (<see cref="CatalogScopedNames"/>).</summary>
public sealed class CatalogScopedNamesTests
{
    private static readonly CatalogScopedNames Main = new("catalog");
    private static readonly CatalogScopedNames Other = new("catalog_rollout");

    private static IEnumerable<string> PrefixesOf(CatalogScopedNames names) =>
    [
        names.SparePrefix, names.PreparingSparePrefix, names.DrillPrefix,
        names.PointInTimeDrillPrefix("postgres"), names.PointInTimeDrillPrefix("postgres-premium"),
    ];

    [Fact]
    public void Two_catalogs_never_claim_or_sweep_each_others_names()
    {
        Assert.NotEqual(Main.TemplateDatabase, Other.TemplateDatabase);
        var id = Guid.NewGuid();
        string[] othersNames =
        [
            Other.TemplateDatabase, Other.SpareDatabaseName(id), Other.PreparingSpareName(id), Other.DrillDatabaseName(id),
            Other.PointInTimeDrillDatabaseName("postgres", id), Other.PointInTimeDrillDatabaseName("postgres-premium", id),
        ];
        foreach (var prefix in PrefixesOf(Main))
        {
            Assert.DoesNotContain(othersNames, name => name.StartsWith(prefix, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Each_kind_of_scratch_name_is_outside_the_other_kinds_sweeps()
    {
        var id = Guid.NewGuid();
        // A backup drill's sweep leaves a point-in-time drill alone (one dropped a running one in CI), and servers keep theirs apart.
        Assert.False(Main.PointInTimeDrillDatabaseName("postgres", id).StartsWith(Main.DrillPrefix, StringComparison.Ordinal));
        Assert.NotEqual(Main.PointInTimeDrillPrefix("postgres"), Main.PointInTimeDrillPrefix("postgres-premium"));
        // Provisioning claims only ready spares, never one still being prepared.
        Assert.False(Main.PreparingSpareName(id).StartsWith(Main.SparePrefix, StringComparison.Ordinal));
        // The orphan sweep parses tenant databases as tdb_{guid}: none of these parses.
        foreach (var name in new[] { Main.SpareDatabaseName(id), Main.DrillDatabaseName(id), Main.PointInTimeDrillDatabaseName("postgres", id) })
        {
            Assert.False(Guid.TryParseExact(name["tdb_".Length..], "N", out _), name);
        }
    }

    [Theory]
    [InlineData("catalog")]
    [InlineData("a_catalog_database_name_as_long_as_postgres_allows_it_63_bytes__")]
    public void Every_name_is_a_plain_identifier_postgres_keeps_whole(string catalog)
    {
        var names = new CatalogScopedNames(catalog);
        var id = Guid.NewGuid();
        foreach (var name in new[]
                 {
                     names.TemplateDatabase, names.SpareDatabaseName(id), names.PreparingSpareName(id), names.DrillDatabaseName(id),
                     names.PointInTimeDrillDatabaseName("postgres-premium", id),
                 })
        {
            Assert.True(name.Length <= 63, name); // Postgres truncates identifiers past 63 bytes
            Assert.Matches("^[a-z0-9_]+$", name); // no LIKE wildcard but the escaped underscores, no quoting needed
        }
    }

    [Fact]
    public void The_catalog_comes_from_the_connection_string()
    {
        Assert.Equal("catalog_x", CatalogScopedNames.FromConnectionString("Host=h;Database=catalog_x").CatalogDatabase);
        Assert.Equal("catalog", CatalogScopedNames.FromConnectionString("Host=h").CatalogDatabase);
    }
}
