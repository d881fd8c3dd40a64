using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.AppHost.Local;

/// <summary>The machine's own PostgreSQL server, run as an Aspire executable (local infrastructure mode).</summary>
public sealed class LocalPostgresServerResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string EndpointName = "tcp";
    public const string SuperUser = "postgres";

    private EndpointReference? _endpoint;

    public EndpointReference PrimaryEndpoint => _endpoint ??= new(this, EndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={SuperUser};Password={PasswordParameter}");

    internal List<LocalPostgresDatabaseResource> Databases { get; } = [];
}

/// <summary>A database on <see cref="LocalPostgresServerResource"/>; its connection string matches what AddDatabase gives in container mode.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public LocalPostgresServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}

public static class LocalPostgresExtensions
{
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, LocalDataRoot dataRoot, string postgresBin, int maxConnections,
        string tablespaceRoot, string? archiveFolder, IResourceBuilder<LocalAzuriteResource> store)
    {
        var password = builder.AddParameter($"{name}-password", dataRoot.ReadOrCreateSecret($"{name}-password"), secret: true);
        var script = Path.Combine(AppContext.BaseDirectory, "Local", "run-postgres.sh");
        var resource = new LocalPostgresServerResource(name, "bash", dataRoot.Path, password.Resource);

        var healthKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(
            sp => ResourceConnectionStrings.Resolve(resource), name: healthKey);

        // Same behaviour as the hosting integration's AddDatabase: databases are created once the server is ready.
        // A database is not a process, so nothing else gives it a lifecycle state: publish one, which is what lets
        // WaitFor(catalog) and the database's own health check proceed.
        builder.Eventing.Subscribe<ResourceReadyEvent>(resource, async (e, ct) =>
        {
            var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
            await using var connection = new NpgsqlConnection(await resource.ConnectionStringExpression.GetValueAsync(ct));
            await connection.OpenAsync(ct);
            foreach (var database in resource.Databases)
            {
                try
                {
                    await CreateDatabaseIfMissingAsync(connection, database.DatabaseName, ct);
                    await notifications.PublishUpdateAsync(database, s => s with
                    {
                        State = KnownResourceStates.Running,
                        StartTimeStamp = DateTime.UtcNow,
                    });
                }
                catch (NpgsqlException)
                {
                    await notifications.PublishUpdateAsync(database, s => s with { State = KnownResourceStates.FailedToStart });
                    throw;
                }
            }
        });

        var server = builder.AddResource(resource)
            .WithArgs(script)
            .WithEndpoint(name: LocalPostgresServerResource.EndpointName, scheme: "tcp", env: "PGPORT")
            .WithEnvironment("PGDATA", dataRoot.Combine(name))
            .WithEnvironment("PG_BIN", postgresBin)
            .WithEnvironment("PG_MAX_CONNECTIONS", maxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("PG_SETTINGS", string.Join(' ', ServerTopology.ReplicationSettings))
            .WithEnvironment("POSTGRES_PASSWORD", password)
            .WithEnvironment("PG_TABLESPACES", tablespaceRoot)
            .WithHealthCheck(healthKey)
            .WithIconName("Database");
        if (archiveFolder is not null)
        {
            // run-postgres.sh writes pgBackRest's configuration there at every start (the ports may change); the repository is the
            // backup store's container (a folder per server), which must answer before the server starts: a start reads it first
            // (a lost data folder is rebuilt from it, docs/operations.md).
            var blob = new EndpointReference(store.Resource, BlobStorage.EndpointName);
            server.WithEnvironment("ARCHIVE_DIR", archiveFolder)
                .WithEnvironment("ARCHIVE_STANZA", name)
                .WithEnvironment("PG_ARCHIVE_TIMEOUT", ArchiveSettings.ArchiveTimeout)
                .WithEnvironment("ARCHIVE_REPO_HOST", blob.Property(EndpointProperty.IPV4Host))
                .WithEnvironment("ARCHIVE_REPO_PORT", blob.Property(EndpointProperty.Port))
                .WithEnvironment("ARCHIVE_REPO_ACCOUNT", BlobStorage.Account)
                .WithEnvironment("ARCHIVE_REPO_CONTAINER", Tenancy.Servers.ServerArchive.RepositoryContainer)
                .WithEnvironment("ARCHIVE_REPO_CA_FILE", store.Resource.Tls.AuthorityFile)
                .WithEnvironment(Tenancy.Servers.ServerArchive.RepositoryKeyVariable, store.Resource.Key)
                .WithAnnotation(new ArchiveAnnotation(Path.Combine(archiveFolder, ArchiveSettings.ConfigFile), name, store.Resource.Key))
                .WaitFor(store);
        }
        return server;
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> server, string name, string? databaseName = null)
    {
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, server.Resource);
        server.Resource.Databases.Add(database);

        var healthKey = $"{name}_check";
        server.ApplicationBuilder.Services.AddHealthChecks().AddNpgSql(
            sp => ResourceConnectionStrings.Resolve(database), name: healthKey);

        return server.ApplicationBuilder.AddResource(database)
            .WithHealthCheck(healthKey)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new("postgres.database", database.DatabaseName)],
            })
            .WithIconName("DatabaseStack");
    }

    private static async Task CreateDatabaseIfMissingAsync(NpgsqlConnection connection, string database, CancellationToken ct)
    {
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.Add(new() { Value = database });
        if (await exists.ExecuteScalarAsync(ct) is not null)
        {
            return;
        }
        await using var create = new NpgsqlCommand($"CREATE DATABASE {SqlIdentifier.Quote(database)}", connection);
        try
        {
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // created concurrently: fine
        }
    }
}
