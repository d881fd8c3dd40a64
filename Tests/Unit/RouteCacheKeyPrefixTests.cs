using TenantAspire.Tenancy.Routing;

namespace TenantAspire.Tests.Unit;

/// <summary>
/// The route cache's keys are prefixed by the catalog's database name, so two catalogs on one Redis (the in-process hosts beside
/// a stack, or two deployments) never serve each other's route for the same slug.
/// </summary>
public sealed class RouteCacheKeyPrefixTests
{
    [Fact]
    public void Two_catalogs_on_one_server_get_different_prefixes()
    {
        var main = RoutingRegistration.CacheKeyPrefix("Host=localhost;Port=5432;Database=catalog;Username=catalog_api");
        var other = RoutingRegistration.CacheKeyPrefix("Host=localhost;Port=5432;Database=catalog_inproc_1a2b3c4d;Username=catalog_api");
        Assert.Equal("catalog:", main);
        Assert.Equal("catalog_inproc_1a2b3c4d:", other);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Host=localhost;Port=5432")]
    public void Without_a_catalog_database_the_cache_name_is_the_prefix(string? connectionString) =>
        Assert.Equal(TenantRouteCache.CacheName + ":", RoutingRegistration.CacheKeyPrefix(connectionString));
}
