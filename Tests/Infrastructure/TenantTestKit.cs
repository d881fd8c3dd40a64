using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Credentials;

namespace TenantAspire.Tests.Infrastructure;

/// <summary>Helpers over the real stack: create tenants through the API, look at Postgres and the catalog directly.</summary>
public sealed class TenantTestKit(AspireAppFixture fixture)
{
    public static string NewSlug(string prefix = "t") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 14)];

    public async Task<HttpResponseMessage> CreateAsync(string slug, string name = "Test tenant", string tier = "standard")
    {
        using var admin = fixture.PlatformAdmin();
        return await admin.PostAsJsonAsync("/api/tenants", new { slug, name, tier });
    }

    /// <summary>Creates a tenant with a fresh slug and waits until it is active.</summary>
    public async Task<string> CreateActiveAsync(string prefix)
    {
        var slug = NewSlug(prefix);
        await CreateActiveSlugAsync(slug);
        return slug;
    }

    /// <summary>Creates the tenant <paramref name="slug"/> and waits until it is active.</summary>
    public async Task CreateActiveSlugAsync(string slug)
    {
        using (var created = await CreateAsync(slug))
        {
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }
        await WaitForStatusAsync(slug, "active");
    }

    public async Task<JsonElement> WaitForStatusAsync(string slug, string status, TimeSpan? timeout = null)
    {
        using var admin = fixture.PlatformAdmin();
        JsonElement last = default;
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                using var response = await admin.GetAsync($"/api/tenants/{slug}");
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }
                last = await response.Content.ReadFromJsonAsync<JsonElement>();
                return last.GetProperty("status").GetString() == status;
            }, timeout ?? TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"tenant {slug} did not reach '{status}'; last seen: {last}", e);
        }
        return last;
    }

    public async Task WaitUntilGoneAsync(string slug, TimeSpan? timeout = null)
    {
        using var admin = fixture.PlatformAdmin();
        await Eventually.TrueAsync(async () =>
        {
            using var response = await admin.GetAsync($"/api/tenants/{slug}");
            return response.StatusCode == HttpStatusCode.NotFound;
        }, timeout ?? TimeSpan.FromSeconds(30), $"tenant {slug} deleted");
    }

    public async Task<NpgsqlConnection> OpenSuperuserAsync(string database = "postgres")
    {
        var builder = new NpgsqlConnectionStringBuilder(await fixture.ConnectionStringAsync("postgres")) { Database = database, Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>One value, as the server's superuser, on the server's maintenance database.</summary>
    public Task<T?> ScalarAsync<T>(string sql, params object[] parameters) => ScalarInAsync<T>("postgres", sql, parameters);

    /// <summary>One value, as the server's superuser, in the catalog database.</summary>
    public Task<T?> CatalogScalarAsync<T>(string sql, params object[] parameters) => ScalarInAsync<T>(fixture.CatalogDatabase, sql, parameters);

    /// <summary>The newest migration in the tenant database's own history (as the superuser).</summary>
    public async Task<string?> AppliedMigrationAsync(string slug)
    {
        var database = await CatalogScalarAsync<string>("SELECT database_name FROM tenants WHERE slug = $1", slug)
                       ?? throw new InvalidOperationException($"no tenant {slug}");
        return await ScalarInAsync<string>(database, "SELECT max(migration_id) FROM \"__EFMigrationsHistory\"", []);
    }

    /// <summary>One value, as the server's superuser, in <paramref name="database"/>.</summary>
    public async Task<T?> ScalarInAsync<T>(string database, string sql, object[] parameters)
    {
        await using var connection = await OpenSuperuserAsync(database);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    public async Task<bool> DatabaseExistsAsync(string name) =>
        await ScalarAsync<int?>("SELECT 1 FROM pg_database WHERE datname = $1", name) is not null;

    public async Task<bool> RoleExistsAsync(string name) =>
        await ScalarAsync<int?>("SELECT 1 FROM pg_roles WHERE rolname = $1", name) is not null;

    /// <summary>The catalog row plus the role password, unprotected with the stack's own Data Protection key ring.</summary>
    public async Task<(Tenant Tenant, string? Password)> CatalogRowAsync(string slug)
    {
        await using var services = await CatalogServicesAsync();
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Slug == slug);
        var password = tenant.ProtectedPassword is null
            ? null
            : scope.ServiceProvider.GetRequiredService<TenantCredentialProtector>().Unprotect(tenant.ProtectedPassword);
        return (tenant, password);
    }

    public async Task<List<AuditEvent>> AuditAsync(string slug)
    {
        await using var services = await CatalogServicesAsync();
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CatalogDbContext>().AuditEvents.AsNoTracking()
            .Where(a => a.TenantSlug == slug).OrderBy(a => a.Id).ToListAsync();
    }

    public async Task<NpgsqlConnection> OpenAsTenantRoleAsync(string role, string password, string database)
    {
        var builder = new NpgsqlConnectionStringBuilder(await fixture.ConnectionStringAsync("postgres"))
        {
            Username = role, Password = password, Database = database, Pooling = false,
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Arms the worker's fault-injection hook: N transient failures, "permanent", or null to clear.</summary>
    public async Task InjectFaultAsync(string slug, string step, string? value)
    {
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(await fixture.ConnectionStringAsync("redis"));
        var key = TenantAspire.ProvisioningWorker.Operations.FaultInjector.Key(fixture.CatalogDatabase, slug, step);
        if (value is null)
        {
            await redis.GetDatabase().KeyDeleteAsync(key);
        }
        else
        {
            await redis.GetDatabase().StringSetAsync(key, value, TimeSpan.FromMinutes(5));
        }
    }

    private async Task<ServiceProvider> CatalogServicesAsync()
    {
        var catalog = await fixture.ConnectionStringAsync("catalog");
        var services = new ServiceCollection();
        services.AddDbContext<CatalogDbContext>(o => o.UseNpgsql(catalog).UseSnakeCaseNamingConvention());
        services.AddTenantCredentials(fixture.KeyEncryptionCertificate, allowUnprotectedRing: false);
        return services.BuildServiceProvider();
    }
}
