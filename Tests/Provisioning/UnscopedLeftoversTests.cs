using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Sql;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Provisioning;

/// <summary>An upgrade from the release before per-catalog names: its template and spares do not stay on the servers for ever.</summary>
[Collection(AspireAppCollection.Name)]
public sealed class UnscopedLeftoversTests(AspireAppFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task A_worker_start_drops_the_unscoped_template_and_spares_and_keeps_every_catalogs_own()
    {
        string[] unscoped = ["tenant_template", "tdb_spare_" + Guid.NewGuid().ToString("N"), "tdb_prep_" + Guid.NewGuid().ToString("N")];
        var anotherCatalogs = new CatalogScopedNames("catalog_elsewhere").SpareDatabaseName(Guid.NewGuid());
        await using (var server = await _kit.OpenSuperuserAsync())
        {
            foreach (var database in unscoped.Append(anotherCatalogs))
            {
                // Owned by the provisioner, as the release before made them.
                await using var create = new NpgsqlCommand(
                    $"CREATE DATABASE {SqlIdentifier.Quote(database)} OWNER {SqlIdentifier.Quote(TenantNaming.ProvisionerRole)}", server);
                await create.ExecuteNonQueryAsync();
            }
        }
        try
        {
            var instance = (await fixture.InstancesAsync("provisioning-worker")).First();
            await fixture.CommandInstanceAsync(instance, "resource-stop");
            await fixture.RestartExitedAsync("provisioning-worker"); // healthy only once its server bootstrap has run

            foreach (var database in unscoped)
            {
                await Eventually.TrueAsync(async () => !await _kit.DatabaseExistsAsync(database), TimeSpan.FromSeconds(20), $"{database} dropped");
            }
            Assert.True(await _kit.DatabaseExistsAsync(anotherCatalogs), "another catalog's spare is not this worker's to drop");
        }
        finally
        {
            await using var server = await _kit.OpenSuperuserAsync();
            foreach (var database in unscoped.Append(anotherCatalogs))
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {SqlIdentifier.Quote(database)}", server);
                await drop.ExecuteNonQueryAsync();
            }
        }
    }
}
