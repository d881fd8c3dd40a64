using Microsoft.EntityFrameworkCore;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Composition;

/// <summary>
/// The database, not a check in the worker, keeps a tenant to one running operation: a second running row of one tenant is refused
/// by the catalog's unique index, however it is written (the old rule was a NOT EXISTS under read committed, which two claims in
/// the same instant both passed).
/// </summary>
[Collection(AspireAppCollection.Name)]
public sealed class OneRunningOperationTests(AspireAppFixture fixture)
{
    [Fact]
    public async Task A_second_running_operation_of_one_tenant_is_refused_by_the_catalog()
    {
        var kit = new TenantTestKit(fixture);
        var slug = await kit.CreateActiveAsync("cmp-unique");
        var (tenant, _) = await kit.CatalogRowAsync(slug);
        await Eventually.TrueAsync(async () => await kit.CatalogScalarAsync<long>(
            "SELECT count(*) FROM tenant_operations WHERE tenant_id = $1 AND state = 'Running'", tenant.Id) == 0,
            TimeSpan.FromSeconds(10), "its provisioning finished");
        await using var connection = new NpgsqlConnection(await fixture.ConnectionStringAsync("catalog"));
        await connection.OpenAsync();
        const string insert = """
            INSERT INTO tenant_operations (id, tenant_id, kind, state, attempts, next_attempt_at, leased_by, lease_expires_at, created_at, updated_at)
            VALUES ($1, $2, 'Backup', 'Running', 1, now(), 'test', now() + interval '1 minute', now(), now())
            """;
        var first = Guid.NewGuid();
        try
        {
            await using (var one = new NpgsqlCommand(insert, connection) { Parameters = { new() { Value = first }, new() { Value = tenant.Id } } })
            {
                await one.ExecuteNonQueryAsync();
            }
            await using var two = new NpgsqlCommand(insert, connection) { Parameters = { new() { Value = Guid.NewGuid() }, new() { Value = tenant.Id } } };
            var refused = await Assert.ThrowsAsync<PostgresException>(() => two.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.UniqueViolation, refused.SqlState);
            Assert.Equal("ux_tenant_operations_one_running", refused.ConstraintName);
        }
        finally
        {
            await using var clean = new NpgsqlCommand("DELETE FROM tenant_operations WHERE id = $1", connection) { Parameters = { new() { Value = first } } };
            await clean.ExecuteNonQueryAsync();
        }
    }
}
