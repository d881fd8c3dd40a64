using System.Collections.Concurrent;
using Npgsql;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>
/// Connections the worker opens on a Postgres server (ConnectionStrings:{server}, a superuser in both AppHost modes).
/// Provisioning work runs with <c>role=tenant_provisioner</c> (CREATEDB/CREATEROLE, not superuser) set at session start, so a bug
/// here cannot do what a superuser could; log_min_error_statement=panic keeps CREATE ROLE … PASSWORD out of the server log.
/// </summary>
public sealed class ServerConnections(IConfiguration configuration) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, NpgsqlDataSource> _provisioners = new(StringComparer.Ordinal);

    /// <summary>Superuser session; only for the one-time bootstrap of roles.</summary>
    public NpgsqlConnection OpenSuperuser(string server, string? database = null) =>
        new(Builder(server, database, role: null, pooling: false).ConnectionString);

    /// <summary>A pooled provisioner session on the server's maintenance database.</summary>
    public ValueTask<NpgsqlConnection> OpenProvisionerAsync(string server, CancellationToken ct) =>
        _provisioners.GetOrAdd(server, s =>
        {
            var builder = Builder(s, database: "postgres", TenantNaming.ProvisionerRole, pooling: true);
            builder.ApplicationName = "provisioning-worker";
            return WithoutPasswordsInTraces(builder, $"provisioner:{s}").Build();
        }).OpenConnectionAsync(ct);

    /// <summary>
    /// An unpooled admin data source on one database that may carry CREATE/ALTER ROLE … PASSWORD (the catalog's migrations and
    /// its logins); dispose it after use.
    /// </summary>
    public NpgsqlDataSource AdminIn(string server, string database) =>
        WithoutPasswordsInTraces(Builder(server, database, role: null, pooling: false), $"admin:{server}").Build();

    // Npgsql puts command text into trace spans; CREATE/ALTER ROLE … PASSWORD must never reach the trace exporter.
    private static NpgsqlDataSourceBuilder WithoutPasswordsInTraces(NpgsqlConnectionStringBuilder builder, string name)
    {
        var sourceBuilder = new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = name };
        sourceBuilder.ConfigureTracing(tracing => tracing.ConfigureCommandFilter(
            command => !command.CommandText.Contains(" PASSWORD ", StringComparison.OrdinalIgnoreCase)));
        return sourceBuilder;
    }

    /// <summary>A provisioner session inside one database (unpooled: a tenant database is visited once).</summary>
    public NpgsqlConnection OpenProvisionerIn(string server, string database) =>
        new(Builder(server, database, TenantNaming.ProvisionerRole, pooling: false).ConnectionString);

    /// <summary>A session acting as the template owner inside the template, so migrated objects belong to that role.</summary>
    public string TemplateOwnerConnectionString(string server) =>
        Builder(server, TenantNaming.TemplateDatabase, TenantNaming.TemplateOwnerRole, pooling: false).ConnectionString;

    /// <summary>
    /// The tenant's own login role on its own database (unpooled: Npgsql never drops a pool by itself), named
    /// <c>tenant-migrator</c> in pg_stat_activity so a rollout's backends can be told from the API's.
    /// </summary>
    public string TenantConnectionString(string server, string database, string role, string password)
    {
        var builder = new NpgsqlConnectionStringBuilder(ServerConnectionString(server))
        {
            Database = database,
            Username = role,
            Password = password,
            Pooling = false,
            ApplicationName = "tenant-migrator",
        };
        return builder.ConnectionString;
    }

    private NpgsqlConnectionStringBuilder Builder(string server, string? database, string? role, bool pooling)
    {
        var builder = new NpgsqlConnectionStringBuilder(ServerConnectionString(server)) { Pooling = pooling };
        if (database is not null)
        {
            builder.Database = database;
        }
        builder.Options = role is null
            ? "-c log_min_error_statement=panic"
            : $"-c log_min_error_statement=panic -c role={role}";
        return builder;
    }

    private string ServerConnectionString(string server) =>
        configuration.GetConnectionString(server)
        ?? throw new InvalidOperationException($"ConnectionStrings:{server} is not configured; the tenant's server is unknown here.");

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _provisioners.Values)
        {
            await source.DisposeAsync();
        }
    }
}
