using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Npgsql;
using TenantAspire.AppHost;
using TenantAspire.AppHost.Local;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.Tests.Infrastructure;

/// <summary>
/// One stack whose infrastructure (both Postgres servers, Redis, the backup store) serves the variants that differ from the main
/// stack only in their services' settings: rollout, servers and storm (<see cref="SettingsStacksCollection"/>). Each variant has
/// its own catalog database on it, and so its own tenants, template and spares (<c>CatalogScopedNames</c>); one variant's
/// services run at a time. Activating another stops the workers and APIs and starts them again with its settings and catalog
/// (Aspire evaluates environment callbacks again at each start). A switch costs about what a stack's stop and boot did (23-26 s
/// against 30-32 s here): most of a boot is the services' start, not the infrastructure's (docs/testing.md). The stacks whose
/// tests stop a backing service (main: Redis; fault: Postgres and Redis; backup: the store and a server) and the ones that boot
/// twice on one data folder keep their own.
/// </summary>
public sealed class SharedStack : AspireAppFixture
{
    public static readonly string DataRootPath = Path.Combine("/var/tmp", "tenantaspire-tests", "shared-" + Guid.NewGuid().ToString("N")[..8]);

    private static readonly SemaphoreSlim Membership = new(1, 1);
    private static SharedStack? _instance;
    private static int _members;

    private static readonly SemaphoreSlim Switching = new(1, 1);
    private AspireAppFixture? _active;
    private bool _booted;

    private SharedStack() : base(DataRootPath, keepDataRoot: false)
    {
    }

    protected override AspireAppFixture SettingsSource => _active ?? this;

    /// <summary>A variant fixture joins (at its collection's start); the stack boots at the first activation.</summary>
    public static async Task<SharedStack> JoinAsync()
    {
        await Membership.WaitAsync();
        try
        {
            _members++;
            return _instance ??= new SharedStack();
        }
        finally
        {
            Membership.Release();
        }
    }

    /// <summary>A variant fixture leaves (at its collection's end); the last one stops the stack.</summary>
    public static async Task LeaveAsync()
    {
        await Membership.WaitAsync();
        try
        {
            if (--_members > 0 || _instance is not { } stack)
            {
                return;
            }
            _instance = null;
            if (stack._booted)
            {
                await stack.DisposeAsync();
            }
        }
        finally
        {
            Membership.Release();
        }
    }

    /// <summary>Makes <paramref name="variant"/>'s services the running ones: boots the stack with them, or switches to them.</summary>
    public async Task ActivateAsync(AspireAppFixture variant)
    {
        await Switching.WaitAsync();
        try
        {
            if (_active == variant)
            {
                return;
            }
            var previous = _active;
            _active = variant;
            try
            {
                if (_booted)
                {
                    await SwitchAsync(variant);
                }
                else
                {
                    await InitializeAsync();
                    _booted = true;
                }
            }
            catch
            {
                _active = previous is null ? null : variant; // a failed boot is tried again; a failed switch is not repeated per test
                throw;
            }
        }
        finally
        {
            Switching.Release();
        }
    }

    /// <summary>At boot, the first variant's catalog database is created with the others the AppHost creates, before the worker starts.</summary>
    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        var server = builder.CreateResourceBuilder(builder.Resources.OfType<LocalPostgresServerResource>().Single(r => r.Name == ResourceNames.Postgres));
        var catalog = server.AddDatabase(_active!.CatalogDatabase.Replace('_', '-'), _active.CatalogDatabase);
        builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == ResourceNames.Worker)).WaitFor(catalog);
    }

    private async Task SwitchAsync(AspireAppFixture next)
    {
        // Every instance stops at once (nothing is served meanwhile); the worker starts first and migrates the next catalog, then
        // both APIs at once (they wait for the worker's bootstrap: it creates their catalog login).
        var states = await CurrentStatesAsync();
        await Task.WhenAll(states.Where(i => i.Resource is ResourceNames.Worker or ResourceNames.Api or SecondApi
                                             && i.State is not ("Exited" or "Finished" or "FailedToStart"))
            .Select(i => CommandInstanceAsync(i.Id, "resource-stop")));
        await CreateDatabaseAsync(next.CatalogDatabase);
        await StartAsync(ResourceNames.Worker);
        await Task.WhenAll(StartAsync(ResourceNames.Api), StartAsync(SecondApi));
    }

    private async Task StartAsync(string resource)
    {
        var stopped = (await CurrentStatesAsync()).Where(i => i.Resource == resource && i.State is "Exited" or "Finished" or "FailedToStart");
        await Task.WhenAll(stopped.Select(i => CommandInstanceAsync(i.Id, "resource-start")));
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource).WaitAsync(TimeSpan.FromSeconds(90));
    }

    private async Task CreateDatabaseAsync(string database)
    {
        await using var connection = new NpgsqlConnection(await ConnectionStringAsync(ResourceNames.Postgres));
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.Add(new NpgsqlParameter { Value = database });
        if (await exists.ExecuteScalarAsync() is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {SqlIdentifier.Quote(database)}", connection);
            await create.ExecuteNonQueryAsync();
        }
    }
}

/// <summary>A test class of a variant on <see cref="SharedStack"/>: its variant's services are the running ones before each test.</summary>
public abstract class OnSharedStack(AspireAppFixture fixture) : IAsyncLifetime
{
    public Task InitializeAsync() => fixture.ActivateAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>The variants on <see cref="SharedStack"/>: one collection, so they share its life (xunit creates and disposes the fixtures together).</summary>
[CollectionDefinition(Name)]
public sealed class SettingsStacksCollection : ICollectionFixture<RolloutStackFixture>, ICollectionFixture<TenantAspire.Tests.Servers.ServersStackFixture>,
    ICollectionFixture<TenantAspire.Tests.Storm.StormStackFixture>
{
    public const string Name = "settings-stacks";
}
