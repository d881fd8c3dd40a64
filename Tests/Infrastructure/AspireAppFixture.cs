using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TenantAspire.AppHost;
using TenantAspire.TestSupport;

namespace TenantAspire.Tests.Infrastructure;

/// <summary>
/// Boots the real AppHost once for the whole suite, in local mode (the machine's postgres and redis-server), with its own
/// throw-away data folder so tests never touch a developer's data.
/// </summary>
public class AspireAppFixture : IAsyncLifetime
{
    public const string SecondApi = "tenant-api-2";
    public const int RegistryBudget = 5;
    public const int StandardRatePerSecond = 100;
    public static readonly TimeSpan WorkerLease = TimeSpan.FromSeconds(3);
    public static readonly string[] AllResources = ["postgres", "postgres-premium", "catalog", "redis", "blobs", "provisioning-worker", "tenant-api", SecondApi];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly string _dataRoot;
    private readonly bool _keepDataRoot;

    public AspireAppFixture() : this(Path.Combine("/var/tmp", "tenantaspire-tests", Guid.NewGuid().ToString("N")[..12]), keepDataRoot: false)
    {
    }

    /// <summary>A stack on a given data folder, kept after it stops when asked (a later stack reuses it, as an upgrade would).</summary>
    protected AspireAppFixture(string dataRoot, bool keepDataRoot)
    {
        _dataRoot = dataRoot;
        _keepDataRoot = keepDataRoot;
    }

    /// <summary>
    /// A variant that differs only in its services' settings: no stack of its own, but the shared one (<see cref="SharedStack"/>)
    /// under its own catalog database. Its tests call <see cref="ActivateAsync"/> first (<see cref="OnSharedStack"/>).
    /// </summary>
    protected AspireAppFixture(string sharedCatalog)
    {
        _dataRoot = SharedStack.DataRootPath;
        _keepDataRoot = true; // the shared stack's to delete
        _sharedCatalog = sharedCatalog;
    }

    private readonly string? _sharedCatalog;
    private SharedStack? _host;
    private DistributedApplication? _app;
    private ResourceControl? _resources;

    public DistributedApplication App => _host is not null ? _host.App : _app!;

    /// <summary>Starts this variant's services on the shared stack unless they are the ones running (a stack of its own: nothing).</summary>
    public Task ActivateAsync() => _host?.ActivateAsync(this) ?? Task.CompletedTask;

    public async Task InitializeAsync()
    {
        if (_sharedCatalog is not null)
        {
            _host = await SharedStack.JoinAsync();
            return;
        }
        _slot = await StackSlots.TakeAsync();
        try
        {
            await using var booting = await StackSlots.BootingAsync();
            await BootAsync();
        }
        catch
        {
            // xunit does not dispose a fixture whose initialisation failed: stop what did start, or it runs on beside the others.
            if (_app is not null)
            {
                await _app.DisposeAsync();
                _app = null; // nothing left for a later DisposeAsync to stop
            }
            await _slot.DisposeAsync();
            throw;
        }
    }

    private IAsyncDisposable? _slot;

    private async Task BootAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
        [
            "Infrastructure=local",
            $"LocalInfrastructure:DataRoot={_dataRoot}",
            // One tenant-api process plus the explicit second one below: tests that read one replica's state know which they hit.
            $"TenantApi:Replicas={ApiReplicas}",
        ]);
        // Category rules: the testing builder's configuration has a Default rule that a bare minimum level would not override
        // (every resource's console line and every HTTP call of the tests would be logged otherwise).
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning)
            .AddFilter("AppHost.Resources", LogLevel.Warning).AddFilter("System.Net.Http", LogLevel.Warning));
        // Two worker instances compete for the same queue; the fault-injection test hook is on (Redis keys fault:{slug}:{step}).
        var worker = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "provisioning-worker");
        builder.CreateResourceBuilder(worker)
            .WithReplicas(2)
            .WithEnvironment("Provisioning__FaultInjection", "true")
            // Short leases, so a test can stall a step past one and show that renewal keeps the other worker out.
            .WithEnvironment("Provisioning__Lease", WorkerLease.ToString("c", System.Globalization.CultureInfo.InvariantCulture))
            // No scheduled backups or drills behind other tests' backs (the backups stack turns them on; admins' backups work anyway).
            .WithEnvironment("Backups__Scheduled", "false")
            .WithEnvironment("Backups__DrillInterval", "00:00:00")
            .WithEnvironment("Archive__DrillInterval", "00:00:00")
            // The orphan sweep every two seconds, so its test (and the storm) need not wait a minute for it.
            .WithEnvironment("OrphanSweep__Interval", "00:00:02");
        // The API's connection registry at the issue's test size: 5 live data sources, one connection each.
        var api = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "tenant-api");
        builder.CreateResourceBuilder(api)
            .WithEnvironment("ConnectionRegistry__ConnectionBudget", RegistryBudget.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("ConnectionRegistry__ConnectionsPerTenant", "1")
            // Queued requests wait up to 10 s, not the default 2 s: on a loaded 2-core machine (CI) 48 requests through one
            // connection took longer than 2 s, and the tests are about the budget and the queue's order, not that deadline.
            .WithEnvironment("ConnectionRegistry__AcquireTimeout", ApiAcquireTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture))
            // A per-tenant rate low enough for a test to cross it, high enough that no other test comes near it.
            .WithEnvironment("RateLimits__Tiers__Standard__PermitsPerSecond", StandardRatePerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("RateLimits__Tiers__Standard__Burst", StandardRatePerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // A second API process, wired like the first, to prove invalidation reaches every replica.
        var second = builder.AddProject<Projects.TenantApi>(SecondApi, launchProfileName: null)
            .WithHttpEndpoint(name: "http")
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development")
            .WithTenantApiBackends() // the catalog as the API's own login, Redis, key ring certificate, signing key, worker
            .WithHttpHealthCheck("/health");
        Configure(builder);
        ApplyServiceSettings(builder);
        builder.WithoutOtlpExport();
        _app = await builder.BuildAsync();
        _resources = new ResourceControl(_app);

        using var cts = new CancellationTokenSource(StartTimeout);
        var states = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        _ = Task.Run(async () =>
        {
            await foreach (var e in App.ResourceNotifications.WatchAsync(cts.Token))
            {
                states[e.Resource.Name] = $"{e.Snapshot.State?.Text ?? "?"} health={e.Snapshot.HealthStatus?.ToString() ?? "?"}";
            }
        }, cts.Token);
        try
        {
            await App.StartAsync(cts.Token);
            foreach (var name in AllResources)
            {
                await App.ResourceNotifications.WaitForResourceHealthyAsync(name, cts.Token);
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // Say which resource got stuck instead of a bare TaskCanceledException.
            // and, for a process that exited, why (its last console lines).
            var exited = states.Where(s => s.Value.StartsWith("Finished", StringComparison.Ordinal) || s.Value.StartsWith("Exited", StringComparison.Ordinal));
            var logs = new System.Text.StringBuilder();
            foreach (var (name, _) in exited)
            {
                logs.AppendLine().Append(await RecentLogsAsync(name, 25));
            }
            throw new TimeoutException("The stack did not become healthy in time: " +
                string.Join("; ", states.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")) + logs);
        }
    }

    /// <summary>How long the API's requests wait for a tenant connection before 503.</summary>
    protected virtual TimeSpan ApiAcquireTimeout => TimeSpan.FromSeconds(10);

    /// <summary>Replicas of <c>tenant-api</c> (the AppHost's default is 2).</summary>
    protected virtual int ApiReplicas => 1;

    /// <summary>A derived fixture's own settings, applied before the stack is built.</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    /// <summary>The services' settings of this variant beyond the common ones above: (resource, variable, value).</summary>
    protected virtual IEnumerable<(string Resource, string Variable, string Value)> ServiceSettings => [];

    /// <summary>Whose settings and catalog the services get when they start: this stack's own (the shared stack: the active variant's).</summary>
    protected virtual AspireAppFixture SettingsSource => this;

    /// <summary>
    /// Every service gets <see cref="SettingsSource"/>'s settings and catalog database, read each time it starts: Aspire evaluates
    /// environment callbacks again at every start, which is how <see cref="SharedStack"/> switches variants with a restart.
    /// </summary>
    private void ApplyServiceSettings(IDistributedApplicationTestingBuilder builder)
    {
        var server = new EndpointReference(Resource<IResourceWithEndpoints>(builder, ResourceNames.Postgres), "tcp");
        var apiPassword = Resource<ParameterResource>(builder, CatalogRoles.ApiPasswordParameter);
        var workerPassword = Resource<ParameterResource>(builder, CatalogRoles.WorkerPasswordParameter);
        foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
        {
            builder.CreateResourceBuilder(project).WithEnvironment(context =>
            {
                var source = SettingsSource;
                foreach (var (resource, variable, value) in source.ServiceSettings.Where(s => s.Resource == project.Name))
                {
                    context.EnvironmentVariables[variable] = value;
                }
                if (source.CatalogDatabase != ResourceNames.Catalog)
                {
                    context.EnvironmentVariables["ConnectionStrings__catalog"] = project.Name == ResourceNames.Worker
                        ? CatalogRoles.LoginConnectionString(server, source.CatalogDatabase, TenantAspire.Tenancy.Catalog.CatalogLogins.Worker, workerPassword)
                        : CatalogRoles.ApiConnectionString(server, source.CatalogDatabase, apiPassword);
                }
            });
        }
    }

    private static T Resource<T>(IDistributedApplicationTestingBuilder builder, string name) where T : IResource =>
        builder.Resources.OfType<T>().Single(r => r.Name == name);

    /// <summary>The stack's resources: states, lifecycle commands, restarts and console lines (shared with the benchmarks).</summary>
    public ResourceControl Resources => _host is not null ? _host.Resources : _resources!;

    /// <summary>The last <paramref name="count"/> console lines of every instance of a resource (for a failing test's message).</summary>
    public Task<string> RecentLogsAsync(string resource, int count = 40) => Resources.RecentLogsAsync(resource, count);

    /// <summary>The instance ids of a resource (one per replica): what resource commands and logs are addressed to.</summary>
    public Task<IReadOnlyCollection<string>> InstancesAsync(string resource) => Resources.InstancesAsync(resource);

    /// <summary>Every resource instance and its state now.</summary>
    public Task<List<(string Resource, string Id, string? State)>> CurrentStatesAsync() => Resources.CurrentStatesAsync();

    /// <summary>Runs a lifecycle command (<c>resource-stop</c>, <c>resource-start</c>) on one instance until it has taken effect.</summary>
    public Task CommandInstanceAsync(string instance, string command) => Resources.CommandInstanceAsync(instance, command);

    /// <summary>Starts again every instance of <paramref name="resource"/> that a test stopped, and waits until it is healthy.</summary>
    public Task RestartExitedAsync(string resource) => Resources.RestartExitedAsync(resource);

    /// <summary>
    /// Starts again the instances of <paramref name="resource"/> a test SIGKILLed: waits until they are seen as exited first (one
    /// started too early can be reported as failed to start, which a move test met).
    /// </summary>
    public Task RestartKilledAsync(string resource) => Resources.RestartKilledAsync(resource);

    public HttpClient CreateHttpClient(string resource) => App.CreateHttpClient(resource, "http");

    /// <summary>The development signing key the AppHost generated for this run's data folder.</summary>
    /// <summary>This run's local data folder (its secrets/ hold the generated passwords and keys).</summary>
    public string DataRoot => _dataRoot;

    /// <summary>The stack's catalog database (the services' <c>ConnectionStrings:catalog</c>).</summary>
    public string CatalogDatabase => _sharedCatalog ?? ResourceNames.Catalog;

    /// <summary>The template, spare and drill names the stack's catalog owns on its servers.</summary>
    public TenantAspire.Tenancy.Catalog.CatalogScopedNames CatalogNames => new(CatalogDatabase);

    public string SigningKey => File.ReadAllText(Path.Combine(_dataRoot, "secrets", "jwt-signing-key")).Trim();

    /// <summary>The certificate (base64 PKCS#12) the AppHost generated to encrypt this run's Data Protection key ring.</summary>
    public string KeyEncryptionCertificate =>
        File.ReadAllText(Path.Combine(_dataRoot, "secrets", TenantAspire.AppHost.KeyEncryptionCertificate.ParameterName)).Trim();

    public HttpClient ApiAs(string? tenant, params string[] roles) => ApiOn("tenant-api", tenant, roles);

    public HttpClient ApiOn(string resource, string? tenant, params string[] roles)
    {
        var http = CreateHttpClient(resource);
        http.DefaultRequestHeaders.Authorization = new("Bearer",
            TenantAspire.Tenancy.Auth.DevTokenIssuer.Mint(SigningKey, tenant, roles, TimeSpan.FromMinutes(30)));
        return http;
    }

    public HttpClient PlatformAdmin() => ApiOn("tenant-api", null, TenantAspire.Tenancy.Auth.TenantClaims.PlatformAdmin);

    /// <summary>A resource's connection string as the AppHost gives it (the catalog's: this variant's catalog database).</summary>
    public async Task<string> ConnectionStringAsync(string resource)
    {
        var value = await App.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"no connection string for {resource}");
        return resource == ResourceNames.Catalog && CatalogDatabase != ResourceNames.Catalog
            ? new Npgsql.NpgsqlConnectionStringBuilder(value) { Database = CatalogDatabase }.ConnectionString
            : value;
    }

    /// <summary>A parameter's value (generated secrets included), as the AppHost gives it to the services.</summary>
    public async Task<string> ParameterAsync(string name) =>
        (await App.Services.GetRequiredService<Aspire.Hosting.ApplicationModel.DistributedApplicationModel>().Resources
            .OfType<Aspire.Hosting.ApplicationModel.ParameterResource>().Single(p => p.Name == name).GetValueAsync(CancellationToken.None))!;

    /// <summary>The backup store's certificate authority (the services' <c>Blobs:CaCertificate</c>).</summary>
    public Task<string> BlobStoreAuthorityAsync() => ParameterAsync("blobs-ca");

    /// <summary>The backup store as the worker sees it (account key), over TLS trusting the store's own authority.</summary>
    public async Task<Azure.Storage.Blobs.BlobServiceClient> BlobStoreAsync() =>
        TenantAspire.Tenancy.Backups.BlobStoreClients.Create(await ConnectionStringAsync("blobs"), await BlobStoreAuthorityAsync());

    private Lazy<Task<InProcessHosts>>? _inProcess;

    /// <summary>The API and worker hosted in the test process with in-memory telemetry (started on first use, once).</summary>
    public Task<InProcessHosts> InProcessAsync()
    {
        LazyInitializer.EnsureInitialized(ref _inProcess, () => new(() => InProcessHosts.StartAsync(this, InProcessTenantTagCap)));
        return _inProcess.Value;
    }

    /// <summary>The in-process API reports at most this many tenants by name on metrics; later ones are "other".</summary>
    public const int InProcessTenantTagCap = 2;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await DisposeInProcessAsync();
            await SharedStack.LeaveAsync();
            return;
        }
        try
        {
            await StopAsync();
        }
        finally
        {
            if (_slot is not null)
            {
                await _slot.DisposeAsync();
            }
        }
    }

    private async Task DisposeInProcessAsync()
    {
        if (_inProcess is { IsValueCreated: true, Value.IsCompletedSuccessfully: true })
        {
            await (await _inProcess.Value).DisposeAsync();
        }
    }

    private async Task StopAsync()
    {
        if (_app is null)
        {
            return; // its boot failed and was cleaned up there
        }
        await DisposeInProcessAsync();
        await _app.StopAsync(); // the AppHost stops it in order (OrderedShutdown)
        await _app.DisposeAsync();
        if (_keepDataRoot)
        {
            return;
        }
        try
        {
            Directory.Delete(_dataRoot, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a lingering postgres may still hold a file for a moment
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AspireAppCollection : ICollectionFixture<AspireAppFixture>
{
    public const string Name = "aspire-app";
}

/// <summary>
/// A second, separate stack for the fault tests that stop Postgres or Redis: whatever such a fault leaves behind (dead pooled
/// connections, a cold cache) must not leak into the functional tests' stack.
/// </summary>
public sealed class FaultStackFixture : AspireAppFixture
{
    /// <summary>The product's default: the fault tests measure what a client sees when a wait runs out.</summary>
    protected override TimeSpan ApiAcquireTimeout => TimeSpan.FromSeconds(2);

    /// <summary>
    /// Idle after one second, but scanned only when asked (the periodic scan is an hour away): the dashboard command's test
    /// decides when tenants are judged idle, and nothing else here is hibernated behind a test's back.
    /// </summary>
    protected override void Configure(IDistributedApplicationTestingBuilder builder) =>
        builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "provisioning-worker"))
            .WithEnvironment("Hibernation__IdleAfter", "00:00:01")
            .WithEnvironment("Hibernation__CheckInterval", "01:00:00");
}

[CollectionDefinition(Name)]
public sealed class FaultStackCollection : ICollectionFixture<FaultStackFixture>
{
    public const string Name = "fault-stack";
}

/// <summary>
/// A fleet "at version N": the workers pin new tenants (and the template) at the first tenant migration and start no rollout by
/// themselves, so a test builds tenants at N and rolls them to N + 1 when it chooses. Short migration leases, so a killed
/// worker's tenants come free quickly; fault injection on; no spares (they would be cloned at N and dropped by every rollout).
/// </summary>
public class RolloutStackFixture : AspireAppFixture
{
    public static readonly TimeSpan MigrationLease = TimeSpan.FromSeconds(6);

    /// <summary>On the shared stack (<see cref="SettingsStacksCollection"/>).</summary>
    public RolloutStackFixture() : base(sharedCatalog: "catalog_rollout")
    {
    }

    protected RolloutStackFixture(string dataRoot, bool keepDataRoot) : base(dataRoot, keepDataRoot)
    {
    }

    /// <summary>The worker settings of this stack, also given to any extra worker process a test starts beside it.</summary>
    public static IReadOnlyDictionary<string, string> WorkerSettings { get; } = new Dictionary<string, string>
    {
        ["Migrations__PinNewTenantsAt"] = TenantAspire.Tenancy.Data.TenantMigrations.Initial,
        ["Migrations__AutoRollout"] = "false",
        ["Migrations__Lease"] = MigrationLease.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        ["Migrations__LockTimeout"] = "00:00:01",
        ["Migrations__StatementTimeout"] = "00:00:03",
        ["Migrations__MaxAttempts"] = "2",
        ["Provisioning__SpareDatabases"] = "0",
    };

    protected override IEnumerable<(string Resource, string Variable, string Value)> ServiceSettings =>
        WorkerSettings.Select(s => (ResourceNames.Worker, s.Key, s.Value));
}

