using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Sql;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Composition;

/// <summary>
/// What a SIGKILLed worker leaves where no later operation looks (the storm with kills found these): a replication slot of a move
/// that is no longer open keeps WAL on the server for ever, a deleted tenant's database and role outlive it. The worker's orphan
/// sweep removes them, and never what belongs to a live tenant or to a tenant this catalog never knew (another catalog's).
/// </summary>
[Collection(AspireAppCollection.Name)]
public sealed class OrphanSweepTests(AspireAppFixture fixture)
{
    [Fact]
    public async Task Leftovers_of_a_finished_move_and_a_deleted_tenant_are_swept_and_nothing_else()
    {
        var kit = new TenantTestKit(fixture);
        var live = await kit.CreateActiveAsync("sweep-live");
        var (tenant, _) = await kit.CatalogRowAsync(live);
        var failedMove = Guid.CreateVersion7();
        var slot = "move_" + failedMove.ToString("N");
        var gone = Guid.CreateVersion7(); // a deleted tenant: the audit trail remembers it
        var stranger = Guid.CreateVersion7(); // never in this catalog
        await CatalogAsync("""
            INSERT INTO tenant_moves (id, tenant_id, tenant_slug, from_server, to_server, to_tablespace, method, phase, reason, requested_by, created_at, updated_at)
            VALUES ($1, $2, $3, $4, 'postgres-premium', 'pg_default', 'Replication', 'Failed', 'test', 'test', now(), now())
            """, failedMove, tenant.Id, live, tenant.Server);
        await kit.ScalarAsync<object>("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", slot);
        foreach (var id in new[] { gone, stranger })
        {
            await kit.ScalarAsync<object>($"CREATE ROLE {SqlIdentifier.Quote(TenantNaming.RoleName(id))} NOLOGIN");
        }
        // Owned by its tenant's role, which the provisioner is a member of, as a tenant database is.
        await kit.ScalarAsync<object>($"GRANT {SqlIdentifier.Quote(TenantNaming.RoleName(gone))} TO {SqlIdentifier.Quote(TenantNaming.ProvisionerRole)}");
        await kit.ScalarAsync<object>($"CREATE DATABASE {SqlIdentifier.Quote(TenantNaming.DatabaseName(gone))} OWNER {SqlIdentifier.Quote(TenantNaming.RoleName(gone))}");
        // Only now is it a deleted tenant of this catalog: a sweep between the role's creation and the database's would drop the
        // role under the test's feet.
        await CatalogAsync("INSERT INTO audit_events (tenant_id, tenant_slug, action, actor, at) VALUES ($1, 'gone-co', 'deleted', 'test', now())", gone);
        try
        {
            async Task<string> LeftAsync() => string.Join(", ", new[]
            {
                await kit.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", slot) > 0 ? "slot" : null,
                await kit.DatabaseExistsAsync(TenantNaming.DatabaseName(gone)) ? "database" : null,
                await kit.RoleExistsAsync(TenantNaming.RoleName(gone)) ? "role" : null,
            }.Where(x => x is not null));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (await LeftAsync() is { Length: > 0 } left)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the sweep left the {left} after 30 s; worker: "
                    + await fixture.RecentLogsAsync("provisioning-worker", 30));
                await Task.Delay(500);
            }
            Assert.True(await kit.RoleExistsAsync(TenantNaming.RoleName(stranger)), "a role this catalog never knew is not its to sweep");
            Assert.True(await kit.RoleExistsAsync(tenant.RoleName), "a live tenant's role is never swept");
            Assert.True(await kit.DatabaseExistsAsync(tenant.DatabaseName), "a live tenant's database is never swept");
            using var admin = fixture.PlatformAdmin();
            using var users = await admin.GetAsync($"/api/tenants/{live}/users");
            Assert.Equal(System.Net.HttpStatusCode.OK, users.StatusCode);
        }
        finally
        {
            await kit.ScalarAsync<object>($"DROP ROLE IF EXISTS {SqlIdentifier.Quote(TenantNaming.RoleName(stranger))}");
        }
    }

    private async Task CatalogAsync(string sql, params object[] parameters)
    {
        await using var catalog = new NpgsqlConnection(await fixture.ConnectionStringAsync("catalog"));
        await catalog.OpenAsync();
        await using var command = new NpgsqlCommand(sql, catalog);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        await command.ExecuteNonQueryAsync();
    }
}
