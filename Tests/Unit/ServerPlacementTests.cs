using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Servers;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.Tests.Unit;

public sealed class ServerPlacementTests
{
    private static ServerLoad Server(string name, ServerState state, int tenants, long bytes = 0, int capacity = 100, params TenantTier[] tiers) =>
        new(name, tiers.Length == 0 ? [TenantTier.Standard] : tiers, state, capacity, tenants, bytes);

    [Fact]
    public void The_least_loaded_open_server_of_the_tier_wins_by_tenants_then_bytes_then_name()
    {
        ServerLoad[] servers =
        [
            Server("b", ServerState.Open, 5, bytes: 10),
            Server("a", ServerState.Open, 5, bytes: 10),
            Server("c", ServerState.Open, 5, bytes: 5),
            Server("d", ServerState.Open, 7),
        ];
        Assert.Equal("c", ServerPlacement.Choose(TenantTier.Standard, servers));
        Assert.Equal("a", ServerPlacement.Choose(TenantTier.Standard, servers.Where(s => s.Name != "c")));
    }

    [Fact]
    public void Draining_closed_full_and_other_tier_servers_take_nobody()
    {
        ServerLoad[] servers =
        [
            Server("draining", ServerState.Draining, 0),
            Server("closed", ServerState.Closed, 0),
            Server("full", ServerState.Open, 10, capacity: 10),
            Server("premium", ServerState.Open, 0, tiers: TenantTier.Premium),
        ];
        Assert.Null(ServerPlacement.Choose(TenantTier.Standard, servers));
        Assert.Equal("premium", ServerPlacement.Choose(TenantTier.Premium, servers));
        Assert.Null(ServerPlacement.Choose(TenantTier.Premium, servers, except: "premium"));
    }

    [Fact]
    public void A_tenant_may_stay_only_on_an_open_server_of_its_tier()
    {
        Assert.True(ServerPlacement.CanStay(TenantTier.Standard, Server("s", ServerState.Open, 3)));
        Assert.False(ServerPlacement.CanStay(TenantTier.Premium, Server("s", ServerState.Open, 3)));
        Assert.False(ServerPlacement.CanStay(TenantTier.Standard, Server("s", ServerState.Draining, 3)));
    }

    [Fact]
    public void Storage_classes_name_one_tablespace_per_tier()
    {
        Assert.Equal("tenant_standard", StorageClasses.TablespaceFor(TenantTier.Standard));
        Assert.Equal("tenant_premium", StorageClasses.TablespaceFor(TenantTier.Premium));
        Assert.Throws<ArgumentOutOfRangeException>(() => StorageClasses.Tablespace("gold"));
    }

    [Fact]
    public void Configured_literals_double_quotes_and_refuse_control_characters()
    {
        Assert.Equal("'/data/o''brien'", SqlIdentifier.ConfigLiteral("/data/o'brien"));
        Assert.Throws<ArgumentException>(() => SqlIdentifier.ConfigLiteral("a\nb"));
    }

    private static ServerResolver Resolver(int replicas, params (string Name, string? ConnectionString)[] servers)
    {
        var options = new ServerOptions { ApiReplicas = replicas };
        var settings = new Dictionary<string, string?>();
        foreach (var (name, connectionString) in servers)
        {
            options.Pool[name] = new ServerDefinition { Tiers = [TenantTier.Standard], MaxConnections = 200, ReservedConnections = 80 };
            settings[$"ConnectionStrings:{name}"] = connectionString;
        }
        return new ServerResolver(Options.Create(options), new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
    }

    [Fact]
    public void Each_api_replica_gets_an_equal_share_of_a_servers_budget()
    {
        var resolver = Resolver(replicas: 3, ("postgres", "Host=h;Port=1"));
        Assert.Equal(120, resolver.Definition("postgres").ConnectionBudget);
        Assert.Equal(40, resolver.BudgetShare("postgres"));
    }

    [Fact]
    public void An_unknown_or_unconfigured_server_is_an_error_never_a_fallback()
    {
        var resolver = Resolver(replicas: 1, ("postgres", "Host=h;Port=1"), ("bare", null));
        Assert.Equal("h", resolver.Endpoint("postgres").Host);
        Assert.Throws<UnknownServerException>(() => resolver.Endpoint("elsewhere"));
        Assert.Throws<UnknownServerException>(() => resolver.Endpoint("bare"));
        Assert.Contains("bare", ServerResolver.Validate(resolver.Options, new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:postgres"] = "Host=h" }).Build()));
    }
}
