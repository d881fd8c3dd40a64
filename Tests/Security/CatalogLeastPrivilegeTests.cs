using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Security;

/// <summary>The services' catalog logins may do what each needs and nothing more; the key ring is encrypted at rest.</summary>
[Collection(AspireAppCollection.Name)]
public sealed class CatalogLeastPrivilegeTests(AspireAppFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    private async Task<NpgsqlConnection> OpenAsApiAsync(string database = "catalog")
    {
        var password = File.ReadAllText(Path.Combine(fixture.DataRoot, "secrets", TenantAspire.AppHost.CatalogRoles.ApiPasswordParameter)).Trim();
        return await _kit.OpenAsTenantRoleAsync(CatalogLogins.Api, password, database);
    }

    [Fact]
    public async Task The_api_login_reads_and_queues_but_cannot_delete_rewrite_keys_or_change_the_schema()
    {
        await using var api = await OpenAsApiAsync();
        foreach (var allowed in new[] { "SELECT count(*) FROM tenants", "SELECT count(*) FROM tenant_operations",
                     "SELECT count(*) FROM data_protection_keys", "SELECT count(*) FROM audit_events" })
        {
            await using var command = new NpgsqlCommand(allowed, api);
            await command.ExecuteScalarAsync();
        }
        foreach (var refused in new[]
                 {
                     "DELETE FROM tenants",
                     "DELETE FROM tenant_operations",
                     "UPDATE tenant_operations SET state = 'Failed'",
                     "DELETE FROM audit_events",
                     "INSERT INTO data_protection_keys (friendly_name, xml) VALUES ('x', '<key/>')",
                     "DELETE FROM data_protection_keys",
                     "DROP TABLE tenants",
                     "CREATE TABLE evil (id int)",
                     "SELECT * FROM \"__EFMigrationsHistory\"",
                 })
        {
            await using var command = new NpgsqlCommand(refused, api);
            var e = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
        }
    }

    [Fact]
    public async Task The_worker_login_writes_rows_but_changes_no_schema_and_no_migration_history()
    {
        var password = File.ReadAllText(Path.Combine(fixture.DataRoot, "secrets", TenantAspire.AppHost.CatalogRoles.WorkerPasswordParameter)).Trim();
        await using var worker = await _kit.OpenAsTenantRoleAsync(CatalogLogins.Worker, password, "catalog");
        await using (var tx = await worker.BeginTransactionAsync())
        {
            foreach (var allowed in new[] { "UPDATE tenants SET updated_at = updated_at", "DELETE FROM tenant_operations WHERE false",
                         "SELECT count(*) FROM data_protection_keys", "SELECT count(*) FROM \"__EFMigrationsHistory\"" })
            {
                await using var command = new NpgsqlCommand(allowed, worker, tx);
                await command.ExecuteNonQueryAsync();
            }
            await tx.RollbackAsync();
        }
        foreach (var refused in new[] { "DROP TABLE tenants", "CREATE TABLE evil (id int)", "ALTER TABLE tenants ADD COLUMN evil int",
                     "DELETE FROM \"__EFMigrationsHistory\"" })
        {
            await using var command = new NpgsqlCommand(refused, worker);
            var e = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
        }
        Assert.False(await _kit.ScalarAsync<bool>("SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = $1", CatalogLogins.Worker));
        var elsewhere = await Assert.ThrowsAsync<PostgresException>(() => _kit.OpenAsTenantRoleAsync(CatalogLogins.Worker, password, "postgres"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, elsewhere.SqlState);
    }

    [Fact]
    public async Task The_api_login_reaches_no_other_database_and_is_no_superuser()
    {
        // The maintenance database is the one exception (the registry watches backends leave there), and it can create nothing in it.
        foreach (var database in new[] { "template1", fixture.CatalogNames.TemplateDatabase })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => OpenAsApiAsync(database));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
        await using (var maintenance = await OpenAsApiAsync("postgres"))
        await using (var create = new NpgsqlCommand("CREATE TABLE evil (id int)", maintenance))
        {
            var e = await Assert.ThrowsAsync<PostgresException>(() => create.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
        }
        Assert.False(await _kit.ScalarAsync<bool>("SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = $1", CatalogLogins.Api));
    }

    [Fact]
    public async Task The_key_ring_in_the_catalog_is_encrypted_with_the_key_encryption_certificate()
    {
        // Provisioning a tenant protects a password, so a key exists by now.
        var slug = TenantTestKit.NewSlug("ring");
        (await _kit.CreateAsync(slug)).Dispose();
        await _kit.WaitForStatusAsync(slug, "active");
        await using var catalog = await _kit.OpenSuperuserAsync("catalog");
        await using var command = new NpgsqlCommand("SELECT xml FROM data_protection_keys", catalog);
        var keys = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                keys.Add(reader.GetString(0));
            }
        }
        Assert.NotEmpty(keys);
        Assert.All(keys, xml =>
        {
            Assert.Contains("<encryptedSecret", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal); // the plain form: <masterKey><value>base64</value>
        });
        var (_, password) = await _kit.CatalogRowAsync(slug); // and the stack's certificate still opens it
        Assert.False(string.IsNullOrEmpty(password));
    }
}
