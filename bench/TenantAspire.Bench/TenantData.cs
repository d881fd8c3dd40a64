using Npgsql;

namespace TenantAspire.Bench;

/// <summary>Direct SQL the benchmarks need: a tenant database's connection string, seeding rows in it, reading one value.</summary>
internal static class TenantData
{
    public static string Db(string server, string database) =>
        new NpgsqlConnectionStringBuilder(server) { Database = database, Pooling = false }.ConnectionString;

    /// <summary>ROWS users and a project each, written in the tenant's database in one statement per table (as the superuser).</summary>
    public static async Task SeedAsync(Stack stack, string slug, int rows)
    {
        var database = await ScalarAsync<string>(stack.Catalog, "SELECT database_name FROM tenants WHERE slug = $1", slug);
        var server = await ScalarAsync<string>(stack.Catalog, "SELECT server FROM tenants WHERE slug = $1", slug);
        await using var connection = new NpgsqlConnection(Db(await stack.ServerAsync(server!), database!));
        await connection.OpenAsync();
        await using var users = new NpgsqlCommand("""
            INSERT INTO users (id, email, name, created_at, updated_at)
            SELECT gen_random_uuid(), 'seed' || g || '@example.com', 'Seed ' || g, now(), now() FROM generate_series(1, $1) g
            """, connection);
        users.Parameters.Add(new NpgsqlParameter { Value = rows });
        users.CommandTimeout = 600;
        await users.ExecuteNonQueryAsync();
        await using var projects = new NpgsqlCommand("""
            INSERT INTO projects (id, name, owner_id, created_at, updated_at)
            SELECT gen_random_uuid(), 'Project of ' || email, id, now(), now() FROM users
            """, connection);
        projects.CommandTimeout = 600;
        await projects.ExecuteNonQueryAsync();
    }

    public static async Task<T?> ScalarAsync<T>(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        return (T?)await command.ExecuteScalarAsync();
    }
}
