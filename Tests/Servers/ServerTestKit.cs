using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Servers;

/// <summary>Servers and moves through the admin API, and what each server really holds (as its superuser).</summary>
public sealed class ServerTestKit(AspireAppFixture fixture)
{
    public TenantTestKit Tenants { get; } = new(fixture);

    public async Task<JsonElement> ServersAsync()
    {
        using var admin = fixture.PlatformAdmin();
        return await admin.GetFromJsonAsync<JsonElement>("/api/servers");
    }

    public async Task<JsonElement> TenantAsync(string slug)
    {
        using var admin = fixture.PlatformAdmin();
        return await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}");
    }

    /// <summary>An active tenant of the tier, with one user; returns where it was placed.</summary>
    public async Task<(string Slug, string Server)> ActiveAsync(string prefix, string tier = "standard")
    {
        var slug = TenantTestKit.NewSlug(prefix);
        using (var created = await Tenants.CreateAsync(slug, tier: tier))
        {
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }
        var tenant = await Tenants.WaitForStatusAsync(slug, "active");
        return (slug, tenant.GetProperty("server").GetString()!);
    }

    /// <summary>
    /// An active standard tenant placed on the standard server. Placement follows load, and a drain leaves the standard server the
    /// fuller one for the rest of the run, so the premium server is shown full (capacity 0 in this stack's catalog) for the
    /// creation and gets its capacity back after: the choice is the placement rule's, not luck's.
    /// </summary>
    public async Task<string> OnStandardServerAsync(string prefix)
    {
        const string SetCapacity = "UPDATE servers SET capacity = $2 WHERE name = $1 RETURNING capacity";
        var capacity = await Tenants.CatalogScalarAsync<int>("SELECT capacity FROM servers WHERE name = $1", ServersStackFixture.Premium);
        await Tenants.CatalogScalarAsync<int>(SetCapacity, ServersStackFixture.Premium, 0);
        try
        {
            var (slug, server) = await ActiveAsync(prefix);
            Assert.Equal(ServersStackFixture.Standard, server);
            return slug;
        }
        finally
        {
            await Tenants.CatalogScalarAsync<int>(SetCapacity, ServersStackFixture.Premium, capacity);
        }
    }

    /// <summary>Asks for a tier change; returns the move (202) or null when nothing had to move (200).</summary>
    public async Task<JsonElement?> ChangeTierAsync(string slug, string tier)
    {
        using var admin = fixture.PlatformAdmin();
        using var response = await admin.PostAsJsonAsync($"/api/tenants/{slug}/tier", new { tier });
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, $"{response.StatusCode}: {json}");
        return response.StatusCode == HttpStatusCode.Accepted ? json : null;
    }

    public async Task<JsonElement> WaitForMoveAsync(string slug, string id, params string[] phases)
    {
        JsonElement last = default;
        using var admin = fixture.PlatformAdmin();
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                last = await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/moves/{id}");
                return phases.Contains(last.GetProperty("phase").GetString(), StringComparer.OrdinalIgnoreCase);
            }, TimeSpan.FromSeconds(90), $"move {id} of {slug} reaches {string.Join("/", phases)}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; last seen: {last}\n{await fixture.RecentLogsAsync("provisioning-worker", 40)}", e);
        }
        return last;
    }

    /// <summary>A superuser session on <paramref name="server"/> in <paramref name="database"/>.</summary>
    public async Task<NpgsqlConnection> OpenAsync(string server, string database = "postgres")
    {
        var builder = new NpgsqlConnectionStringBuilder(await fixture.ConnectionStringAsync(server)) { Database = database, Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task<T?> ScalarOnAsync<T>(string server, string database, string sql, params object[] parameters)
    {
        await using var connection = await OpenAsync(server, database);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    public async Task<string?> DatabaseStateAsync(string server, string database) =>
        await ScalarOnAsync<bool?>(server, "postgres", "SELECT datallowconn FROM pg_database WHERE datname = $1", database) switch
        {
            null => null,
            true => "open",
            false => "closed",
        };

    public Task<string?> TablespaceOfAsync(string server, string database) => ScalarOnAsync<string>(server, "postgres",
        "SELECT t.spcname::text FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = $1", database);
}
