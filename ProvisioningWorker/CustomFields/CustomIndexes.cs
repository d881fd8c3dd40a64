using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.CustomFields;

namespace TenantAspire.ProvisioningWorker.CustomFields;

/// <summary>
/// A tenant's custom-field indexes, seen from its own database as its own role (the role owns the tables, so it may index them;
/// the worker never enters a tenant's database as a superuser). The SQL is <see cref="CustomFieldSql"/>'s.
/// </summary>
public sealed class CustomIndexes(ServerConnections connections, TenantCredentialProtector protector)
{
    public async Task<DatabaseSession> OpenAsync(Tenant tenant, string server, CancellationToken ct)
    {
        var session = await connections.OpenTenantAsync(
            server, tenant.DatabaseName, tenant.RoleName, protector.Unprotect(tenant.ProtectedPassword!), "custom-indexes", ct);
        try
        {
            // An index build takes as long as the table needs; a role-level timeout meant for requests must not cut it.
            await using var setup = new NpgsqlCommand("SET statement_timeout = 0", session.Connection);
            await setup.ExecuteNonQueryAsync(ct);
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    public static async Task<List<CustomFieldDefinition>> DefinitionsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var fields = new List<CustomFieldDefinition>();
        await using var command = new NpgsqlCommand(CustomFieldSql.Definitions, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            fields.Add(new CustomFieldDefinition
            {
                Entity = Enum.Parse<CustomEntity>(reader.GetString(0)),
                Name = reader.GetString(1),
                Type = Enum.Parse<CustomFieldType>(reader.GetString(2)),
                Indexed = reader.GetBoolean(3),
                IndexState = Enum.Parse<CustomIndexState>(reader.GetString(4)),
            });
        }
        return fields;
    }

    /// <summary>Index name → valid.</summary>
    public static async Task<Dictionary<string, bool>> ExistingAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var existing = new Dictionary<string, bool>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(CustomFieldSql.ExistingIndexes, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            existing[reader.GetString(0)] = reader.GetBoolean(1);
        }
        return existing;
    }

    /// <summary>
    /// A move's target gets the source's indexed fields' indexes before its initial copy (built on empty tables, then kept by the
    /// copy), so the tenant is never served unindexed after the switch.
    /// </summary>
    public async Task CopyAsync(Tenant tenant, string fromServer, string toServer, CancellationToken ct)
    {
        List<CustomFieldDefinition> indexed;
        await using (var source = await OpenAsync(tenant, fromServer, ct))
        {
            indexed = [.. (await DefinitionsAsync(source.Connection, ct)).Where(f => f.Indexed)];
        }
        if (indexed.Count == 0)
        {
            return;
        }
        await using var target = await OpenAsync(tenant, toServer, ct);
        var existing = await ExistingAsync(target.Connection, ct);
        foreach (var field in indexed.Where(f => !existing.ContainsKey(CustomFieldSql.IndexName(f))))
        {
            await using var create = new NpgsqlCommand(CustomFieldSql.CreateIndex(field, concurrently: false), target.Connection);
            await create.ExecuteNonQueryAsync(ct);
        }
        // The expression statistics come with the autoanalyze that follows the initial copy's inserts.
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync(ct);
    }
}
