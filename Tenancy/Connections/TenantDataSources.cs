using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Servers;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.Tenancy.Connections;

/// <summary>Builds the tenant's <see cref="NpgsqlDataSource"/>: its own database, its own role, named for metrics.</summary>
public sealed class TenantDataSources(IOptions<RegistryOptions> options, TenantCredentialProtector protector, ServerResolver servers,
    IConfiguration configuration, TenantTagLimiter tags)
{
    private readonly RegistryOptions _options = options.Value;

    /// <summary>A pool of up to <see cref="RegistryOptions.ConnectionsPerTenant"/> connections (main region).</summary>
    public NpgsqlDataSource Pooled(TenantRoute tenant)
    {
        var builder = ConnectionString(tenant);
        builder.MaxPoolSize = _options.ConnectionsPerTenant;
        // One connection stays while the tenant is in use: the registry, not Npgsql, ends an idle tenant's connections (it disposes
        // the data source unused for IdleTimeout, 30 s). Npgsql's pruning counts idle connections at sampling instants, not how
        // long each was idle, so with no floor a tenant sending a request every 10 s was idle at every sample and reconnected
        // every ~15 s: a SCRAM login and a backend's fork and exit each time (docs/benchmarks.md, *An idle fleet*). Pruning
        // still trims the connections a burst opened beyond the first.
        builder.MinPoolSize = 1;
        builder.ConnectionIdleLifetime = _options.ConnectionIdleLifetimeSeconds;
        builder.ConnectionPruningInterval = Math.Min(_options.ConnectionPruningIntervalSeconds, _options.ConnectionIdleLifetimeSeconds);
        return Build(tenant, builder);
    }

    /// <summary>No pool: the connection closes for real when the request gives it back (admission window).</summary>
    public NpgsqlDataSource Unpooled(TenantRoute tenant)
    {
        var builder = ConnectionString(tenant);
        builder.Pooling = false;
        return Build(tenant, builder);
    }

    private NpgsqlConnectionStringBuilder ConnectionString(TenantRoute tenant)
    {
        var builder = servers.Endpoint(tenant.Server);
        builder.Database = tenant.DatabaseName;
        builder.Username = tenant.RoleName;
        builder.Password = protector.Unprotect(tenant.ProtectedPassword ?? throw new InvalidOperationException($"Tenant '{tenant.Slug}' has no credentials."));
        builder.Timeout = Math.Max(1, (int)Math.Ceiling(_options.AcquireTimeout.TotalSeconds));
        // The service name (tenant-api, or a replica's own) lets pg_stat_activity say which process holds a connection.
        builder.ApplicationName = configuration["OTEL_SERVICE_NAME"] ?? "tenant-api";
        builder.ReadBufferSize = _options.ConnectionBufferBytes;
        builder.WriteBufferSize = _options.ConnectionBufferBytes;
        return builder;
    }

    // Name = the tenant's metric value (its slug, or "other" past the cardinality cap): Npgsql tags its own metrics
    // (db.client.operation.duration, connection counts) with it. Spans carry the exact slug through the baggage.
    private NpgsqlDataSource Build(TenantRoute tenant, NpgsqlConnectionStringBuilder builder)
    {
        var source = new NpgsqlDataSourceBuilder(builder.ConnectionString) { Name = tags.TagFor(tenant.Slug) };
        // The tenant schema uses built-in types only (uuid, text, timestamptz, integer), so skip Npgsql's per-database type
        // loading: a new tenant connection is then one SCRAM handshake, not a handshake plus a pg_type/pg_attribute scan.
        source.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
        return source.Build();
    }
}
