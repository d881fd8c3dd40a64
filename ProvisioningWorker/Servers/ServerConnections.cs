using System.Collections.Concurrent;
using Npgsql;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>
/// Connections the worker opens on a Postgres server (through <see cref="ServerResolver"/>: the server's admin login in both AppHost modes).
/// Provisioning work runs with <c>role=tenant_provisioner</c> (CREATEDB/CREATEROLE, not superuser) set at session start, so a bug
/// here cannot do what a superuser could; log_min_error_statement=panic keeps CREATE ROLE … PASSWORD out of the server log.
/// </summary>
public sealed class ServerConnections(ServerResolver servers) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, NpgsqlDataSource> _provisioners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Server, string Database), NpgsqlDataSource> _admins = new();

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

    // Npgsql puts command text into trace spans; CREATE/ALTER ROLE … PASSWORD and a subscription's connection string must never
    // reach the trace exporter.
    private static NpgsqlDataSourceBuilder WithoutPasswordsInTraces(NpgsqlConnectionStringBuilder builder, string name)
    {
        var sourceBuilder = new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = name };
        sourceBuilder.ConfigureTracing(tracing => tracing.ConfigureCommandFilter(command => !CarriesSecret(command.CommandText)));
        return sourceBuilder;
    }

    public static bool CarriesSecret(string sql) =>
        sql.Contains(" PASSWORD ", StringComparison.OrdinalIgnoreCase) || sql.Contains("password=", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// An unpooled admin session on one database of the server, whose commands never reach traces (a move's subscription carries
    /// the source's login). Its data source is kept (a data source must outlive its connections); dispose the connection.
    /// </summary>
    public ValueTask<NpgsqlConnection> OpenAdminAsync(string server, string database, CancellationToken ct) =>
        _admins.GetOrAdd((server, database), key => AdminIn(key.Server, key.Database)).OpenConnectionAsync(ct);

    /// <summary>libpq's connection string of the server's admin login into one database (a subscription's CONNECTION).</summary>
    public string LibpqAdmin(string server, string database)
    {
        var builder = servers.Endpoint(server);
        static string Quote(string? value) => "'" + (value ?? string.Empty).Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("'", "\\'", StringComparison.Ordinal) + "'";
        return $"host={Quote(builder.Host)} port={builder.Port} dbname={Quote(database)} user={Quote(builder.Username)} password={Quote(builder.Password)}";
    }

    /// <summary>A provisioner session inside one database (unpooled: a tenant database is visited once).</summary>
    public Task<DatabaseSession> OpenProvisionerInAsync(string server, string database, CancellationToken ct) =>
        DatabaseSession.OpenAsync(Builder(server, database, TenantNaming.ProvisionerRole, pooling: false), ct);

    /// <summary>A session acting as the template owner inside the template, so migrated objects belong to that role.</summary>
    public string TemplateOwnerConnectionString(string server, string template) =>
        Builder(server, template, TenantNaming.TemplateOwnerRole, pooling: false).ConnectionString;

    /// <summary>
    /// The tenant's own login role on its own database (unpooled: Npgsql never drops a pool by itself), named
    /// <c>tenant-migrator</c> in pg_stat_activity so a rollout's backends can be told from the API's.
    /// </summary>
    public string TenantConnectionString(string server, string database, string role, string password, string applicationName = "tenant-migrator")
    {
        var builder = servers.Endpoint(server);
        builder.Database = database;
        builder.Username = role;
        builder.Password = password;
        builder.Pooling = false;
        builder.ApplicationName = applicationName;
        return builder.ConnectionString;
    }

    /// <summary>A session as the tenant's own login on its database (<see cref="TenantConnectionString"/>).</summary>
    public Task<DatabaseSession> OpenTenantAsync(string server, string database, string role, string password, string applicationName,
        CancellationToken ct) =>
        DatabaseSession.OpenAsync(new NpgsqlConnectionStringBuilder(TenantConnectionString(server, database, role, password, applicationName)), ct);

    private NpgsqlConnectionStringBuilder Builder(string server, string? database, string? role, bool pooling)
    {
        var builder = servers.Endpoint(server);
        builder.Pooling = pooling;
        if (database is not null)
        {
            builder.Database = database;
        }
        builder.Options = role is null
            ? "-c log_min_error_statement=panic"
            : $"-c log_min_error_statement=panic -c role={role}";
        return builder;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _provisioners.Values.Concat(_admins.Values))
        {
            await source.DisposeAsync();
        }
    }
}
