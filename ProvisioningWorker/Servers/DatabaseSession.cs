using Npgsql;

namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>
/// One open session inside one database (a tenant's, a spare, the template) with a data source of its own, both disposed
/// together. The worker visits thousands of databases, each under its own connection string: <c>new NpgsqlConnection(string)</c>
/// would make Npgsql load that database's types first (a pg_type query, 36 ms of server time each in the rollout profile,
/// docs/benchmarks.md) and keep a data source per connection string, with those types, for the life of the process. These
/// sessions read and write built-in types only, so type loading is off.
/// </summary>
public sealed class DatabaseSession : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;

    private DatabaseSession(NpgsqlDataSource source, NpgsqlConnection connection)
    {
        _source = source;
        Connection = connection;
    }

    public NpgsqlConnection Connection { get; }

    /// <summary>Opens a session with <paramref name="builder"/>'s settings (made unpooled here).</summary>
    public static async Task<DatabaseSession> OpenAsync(NpgsqlConnectionStringBuilder builder, CancellationToken ct)
    {
        builder.Pooling = false;
        // One name for all of them: Npgsql tags its metrics with the data source's name, by default the connection string,
        // i.e. one series per tenant database.
        var sourceBuilder = new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = "database-session" };
        sourceBuilder.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
        var source = sourceBuilder.Build();
        try
        {
            return new(source, await source.OpenConnectionAsync(ct));
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        await _source.DisposeAsync();
    }
}
