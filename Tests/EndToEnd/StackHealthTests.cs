using Npgsql;
using StackExchange.Redis;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.EndToEnd;

[Collection(AspireAppCollection.Name)]
public sealed class StackHealthTests(AspireAppFixture fixture)
{
    [Theory]
    [InlineData("tenant-api")]
    [InlineData("provisioning-worker")]
    public async Task Service_reports_healthy_and_alive(string service)
    {
        using var http = fixture.CreateHttpClient(service);

        using var health = await http.GetAsync(new Uri("/health", UriKind.Relative));
        using var alive = await http.GetAsync(new Uri("/alive", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task Catalog_connection_string_reaches_a_migrated_catalog_database()
    {
        await using var connection = new NpgsqlConnection(await fixture.ConnectionStringAsync("catalog"));
        await connection.OpenAsync();

        await using var db = new NpgsqlCommand("SELECT current_database()", connection);
        Assert.Equal("catalog", await db.ExecuteScalarAsync());

        await using var migrations = new NpgsqlCommand(
            "SELECT count(*) FROM \"__EFMigrationsHistory\" WHERE migration_id LIKE '%_InitialCatalog'", connection);
        Assert.Equal(1L, await migrations.ExecuteScalarAsync());

        await using var tenants = new NpgsqlCommand("SELECT to_regclass('public.tenants') IS NOT NULL", connection);
        Assert.Equal(true, await tenants.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Redis_connection_string_answers_ping()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await fixture.ConnectionStringAsync("redis"));

        var pong = await redis.GetDatabase().ExecuteAsync("PING");

        Assert.Equal("PONG", pong.ToString());
        Assert.True(redis.IsConnected);
    }
}
