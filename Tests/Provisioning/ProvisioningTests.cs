using System.Net;
using System.Net.Http.Json;
using Npgsql;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Provisioning;

[Collection(AspireAppCollection.Name)]
public sealed class ProvisioningTests(AspireAppFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task Created_tenant_becomes_active_with_its_own_database_and_role()
    {
        var slug = TenantTestKit.NewSlug("prov");
        using var response = await _kit.CreateAsync(slug, "Provisioned Inc");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/tenants/{slug}", response.Headers.Location?.ToString());
        Assert.Equal("provisioning", (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("status").GetString());

        var active = await _kit.WaitForStatusAsync(slug, "active", TimeSpan.FromSeconds(15));
        Assert.False(string.IsNullOrEmpty(active.GetProperty("schemaVersion").GetString()));
        var (tenant, password) = await _kit.CatalogRowAsync(slug);
        Assert.True(await _kit.DatabaseExistsAsync(tenant.DatabaseName));
        Assert.True(await _kit.RoleExistsAsync(tenant.RoleName));
        Assert.DoesNotContain(slug, tenant.DatabaseName, StringComparison.Ordinal);

        // The tenant's role owns its schema objects and reaches its own data.
        await using var own = await _kit.OpenAsTenantRoleAsync(tenant.RoleName, password!, tenant.DatabaseName);
        await using var owner = new NpgsqlCommand("SELECT tableowner FROM pg_tables WHERE tablename = 'users'", own);
        Assert.Equal(tenant.RoleName, await owner.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Tenant_role_cannot_connect_to_another_tenant_or_to_the_catalog()
    {
        string a = TenantTestKit.NewSlug("iso-a"), b = TenantTestKit.NewSlug("iso-b");
        (await _kit.CreateAsync(a)).Dispose();
        (await _kit.CreateAsync(b)).Dispose();
        await _kit.WaitForStatusAsync(a, "active");
        await _kit.WaitForStatusAsync(b, "active");
        var (tenantA, passwordA) = await _kit.CatalogRowAsync(a);
        var (tenantB, _) = await _kit.CatalogRowAsync(b);

        foreach (var foreign in new[] { tenantB.DatabaseName, "catalog", "postgres", fixture.CatalogNames.TemplateDatabase })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(
                () => _kit.OpenAsTenantRoleAsync(tenantA.RoleName, passwordA!, foreign));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }
    }

    [Fact]
    public async Task Fifty_concurrent_creations_with_two_workers_give_exactly_one_database_and_role_each()
    {
        var slugs = Enumerable.Range(0, 50).Select(i => TenantTestKit.NewSlug($"bulk{i}")).ToArray();

        var responses = await Task.WhenAll(slugs.Select(s => _kit.CreateAsync(s)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        foreach (var r in responses)
        {
            r.Dispose();
        }
        await Task.WhenAll(slugs.Select(s => _kit.WaitForStatusAsync(s, "active", TimeSpan.FromSeconds(60))));

        foreach (var slug in slugs)
        {
            var (tenant, _) = await _kit.CatalogRowAsync(slug);
            Assert.True(await _kit.DatabaseExistsAsync(tenant.DatabaseName));
            Assert.True(await _kit.RoleExistsAsync(tenant.RoleName));
            Assert.Equal(1L, await _kit.ScalarAsync<long>(
                "SELECT count(*) FROM pg_database WHERE datname LIKE '%' || $1", tenant.Id.ToString("N")));
        }
        await using var catalog = await _kit.OpenSuperuserAsync("catalog");
        await using var ops = new NpgsqlCommand("""
            SELECT count(*) FROM tenant_operations o JOIN tenants t ON t.id = o.tenant_id
             WHERE t.slug = ANY($1) AND o.kind = 'Provision' AND o.state = 'Succeeded'
            """, catalog);
        ops.Parameters.Add(new NpgsqlParameter { Value = slugs });
        Assert.Equal(50L, await ops.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("credentials")]
    [InlineData("create-role")]
    [InlineData("create-database")]
    [InlineData("grants")]
    [InlineData("migrate")]
    [InlineData("activate")]
    public async Task Transient_failure_at_any_step_is_retried_to_active(string step)
    {
        var slug = TenantTestKit.NewSlug("flaky");
        await _kit.InjectFaultAsync(slug, step, "2");

        (await _kit.CreateAsync(slug)).Dispose();

        await _kit.WaitForStatusAsync(slug, "active", TimeSpan.FromSeconds(30));
        var (tenant, _) = await _kit.CatalogRowAsync(slug);
        Assert.True(await _kit.DatabaseExistsAsync(tenant.DatabaseName));
    }

    [Theory]
    [InlineData("create-database")]
    [InlineData("grants")]
    [InlineData("migrate")]
    [InlineData("activate")]
    public async Task Permanent_failure_marks_failed_and_cleans_up_then_a_rerun_converges(string step)
    {
        var slug = TenantTestKit.NewSlug("doomed");
        await _kit.InjectFaultAsync(slug, step, "permanent");

        (await _kit.CreateAsync(slug)).Dispose();

        var failed = await _kit.WaitForStatusAsync(slug, "failed", TimeSpan.FromSeconds(30));
        Assert.Contains(step, failed.GetProperty("failureReason").GetString(), StringComparison.Ordinal);
        var (tenant, _) = await _kit.CatalogRowAsync(slug);
        Assert.False(await _kit.DatabaseExistsAsync(tenant.DatabaseName));
        Assert.False(await _kit.RoleExistsAsync(tenant.RoleName));

        // Rerun: clear the fault, erase the failed tenant, create it again.
        await _kit.InjectFaultAsync(slug, step, null);
        using var admin = fixture.PlatformAdmin();
        Assert.Equal(HttpStatusCode.Accepted, (await admin.DeleteAsync($"/api/tenants/{slug}")).StatusCode);
        await _kit.WaitUntilGoneAsync(slug);
        (await _kit.CreateAsync(slug)).Dispose();
        await _kit.WaitForStatusAsync(slug, "active", TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("acme")]
    [InlineData("globex")]
    public async Task Development_first_run_creates_demo_tenants_with_users(string slug)
    {
        await _kit.WaitForStatusAsync(slug, "active", TimeSpan.FromSeconds(30));
        var (tenant, password) = await _kit.CatalogRowAsync(slug);
        await using var connection = await _kit.OpenAsTenantRoleAsync(tenant.RoleName, password!, tenant.DatabaseName);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        long users;
        do
        {
            await using var count = new NpgsqlCommand("SELECT count(*) FROM users", connection);
            users = (long)(await count.ExecuteScalarAsync())!;
        } while (users == 0 && DateTime.UtcNow < deadline && await Task.Delay(200).ContinueWith(_ => true));
        Assert.Equal(3, users);
    }
}
