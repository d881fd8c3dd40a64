using TenantAspire.ProvisioningWorker.Archiving;
using TenantAspire.ProvisioningWorker.CustomFields;
using TenantAspire.ProvisioningWorker.Demo;
using TenantAspire.ProvisioningWorker.CatalogMigration;
using TenantAspire.ProvisioningWorker.Telemetry;
using TenantAspire.Tenancy;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Extensions;

internal static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddCatalog();

        // The worker, not the API, migrates the catalog, first thing at start (IHostedLifecycleService.StartingAsync).
        builder.Services.AddSingleton<CatalogMigrationState>();
        builder.Services.AddHostedService<CatalogMigrator>();
        builder.Services.AddHealthChecks().AddCheck<StartupGateHealthCheck<CatalogMigrationState>>("catalog-migrations")
            .AddCheck<StartupGateHealthCheck<ProvisioningReadiness>>("server-bootstrap");

        builder.AddTenantRouting();
        builder.AddTenantCredentials();
        builder.AddTenantTelemetry();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TenantSchema>();

        builder.Services.AddOptions<ProvisioningOptions>().Bind(builder.Configuration.GetSection(ProvisioningOptions.Section))
            .Validate(o => o.Lease >= TimeSpan.FromSeconds(1), "Provisioning:Lease must be at least 1 s (it is renewed every third).")
            .ValidateOnStart();
        builder.Services.AddSingleton<ServerConnections>();
        // The template, spares and drill scratch names this catalog owns on servers it may share with another catalog.
        builder.Services.AddSingleton(CatalogScopedNames.FromConnectionString(
            builder.Configuration.GetConnectionString(TenantAspire.Tenancy.CatalogRegistration.CatalogConnectionName)));
        builder.Services.AddSingleton<TemplateDatabase>();
        builder.Services.AddSingleton<FaultInjector>();
        builder.Services.AddScoped<ServerAdmin>();
        builder.Services.AddScoped<CatalogApiLogin>();
        builder.Services.AddScoped<ServerBootstrap>();
        builder.AddOperations();
        builder.AddProvisioning();
        builder.AddHibernation();
        builder.AddRollouts();
        builder.AddMoves();
        builder.AddBackups();
        builder.AddArchiving();
        builder.AddCustomFields();
        builder.Services.AddOptions<OrphanSweepOptions>().Bind(builder.Configuration.GetSection(OrphanSweepOptions.Section));
        builder.Services.AddHostedService<OrphanSweeper>(); // what a crash left on a server where no operation looks again
        builder.Services.AddOptions<AutovacuumPacingOptions>().Bind(builder.Configuration.GetSection(AutovacuumPacingOptions.Section))
            .Validate(o => o.LaunchesPerSecond > 0, "AutovacuumPacing:LaunchesPerSecond must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<AutovacuumPacer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AutovacuumPacer>()); // naptime scaled to each server's fleet
        builder.Services.AddSingleton<SchemaVersionCollector>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SchemaVersionCollector>());
        builder.Services.AddSingleton<DatabaseSizeCollector>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DatabaseSizeCollector>());
        if (builder.Environment.IsDevelopment() && builder.Configuration.GetValue("Demo:Seed", true))
        {
            builder.Services.AddHostedService<DemoTenantSeeder>();
        }
        return builder;
    }

    /// <summary>The durable queue, its claim loops, leases and the inline operations of passes.</summary>
    private static void AddOperations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<OperationQueue>();
        builder.Services.AddScoped<OperationLease>();
        builder.Services.AddSingleton<InlineOperations>();
        builder.Services.AddSingleton<OperationWakeup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OperationWakeup>());
        builder.Services.AddHostedService<OperationProcessor>();
        builder.Services.AddSingleton<ProvisioningReadiness>();
    }

    /// <summary>Creating tenants (from the spare pool) and deleting them.</summary>
    private static void AddProvisioning(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOperationHandler<ProvisionTenantHandler>(OperationKind.Provision, (h, o, ct) => h.RunAsync(o, ct), (h, o, r, ct) => h.CleanUpAsync(o, r, ct));
        builder.Services.AddOperationHandler<DeleteTenantHandler>(OperationKind.Delete, (h, o, ct) => h.RunAsync(o, ct), (h, o, r, ct) => h.MarkFailedAsync(o, r, ct));
        builder.Services.AddSingleton<SpareDatabasePool>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SpareDatabasePool>());
    }

    /// <summary>Hibernate and wake (a failed hibernate leaves the tenant as it was; a failed wake leaves it hibernated), and the idle monitor.</summary>
    private static void AddHibernation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOperationHandler<HibernationHandler>(OperationKind.Hibernate, (h, o, ct) => h.HibernateAsync(o, ct));
        builder.Services.AddOperationHandler<HibernationHandler>(OperationKind.Wake, (h, o, ct) => h.WakeAsync(o, ct));
        builder.Services.AddOptions<HibernationOptions>().Bind(builder.Configuration.GetSection(HibernationOptions.Section))
            .Validate(o => o.CheckInterval > TimeSpan.Zero, "Hibernation:CheckInterval must be positive.")
            .ValidateOnStart();
        builder.Services.AddScoped<TenantWakeUp>();
        builder.Services.AddSingleton<HibernationScanRequests>();
        builder.Services.AddSingleton<HibernationMonitor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HibernationMonitor>());
    }

    /// <summary>Ringed schema rollouts and the on-demand upgrade of one tenant.</summary>
    private static void AddRollouts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MigrationOptions>().Bind(builder.Configuration.GetSection(MigrationOptions.Section))
            .Validate(o => RolloutRules.ValidateRings(o.Rings) is null, "Migrations:Rings must be ascending percentages ending at 100.")
            .Validate(o => RolloutRules.ValidateErrorBudget(o.ErrorBudget) is null, "Migrations:ErrorBudget is a share between 0 and 1.")
            .Validate(o => o.MaxAttempts >= 1 && o.Parallelism >= 0 && o.CanaryCount >= 0, "Migrations: attempts ≥ 1, parallelism and canaries ≥ 0.")
            .Validate(o => o.Lease > o.LockTimeout + o.StatementTimeout,
                "Migrations:Lease must outlast LockTimeout + StatementTimeout (a migration is never renewed, only fenced).")
            .ValidateOnStart();
        builder.Services.AddSingleton<SchemaTargets>();
        builder.Services.AddSingleton<TenantMigrator>();
        builder.Services.AddSingleton<RolloutSignal>();
        builder.Services.AddSingleton<RolloutParallelism>();
        builder.Services.AddSingleton<RolloutPreparation>();
        builder.Services.AddScoped<RolloutStore>();
        builder.Services.AddScoped<RolloutTenantMigration>();
        builder.Services.AddScoped<AutoRollout>();
        builder.Services.AddOperationHandler<UpgradeTenantHandler>(OperationKind.Upgrade, (h, o, ct) => h.RunAsync(o, ct));
        builder.Services.AddHostedService<RolloutRunner>();
    }

    /// <summary>Moves between servers and tablespaces (tier changes), drains, and the drop of a moved tenant's source.</summary>
    private static void AddMoves(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MoveOptions>().Bind(builder.Configuration.GetSection(MoveOptions.Section))
            .Validate(o => o.MaxPause > TimeSpan.Zero && o.DrainConcurrency >= 1 && o.SourceGrace >= TimeSpan.Zero,
                "Moves: MaxPause positive, DrainConcurrency ≥ 1, SourceGrace ≥ 0.")
            .ValidateOnStart();
        builder.Services.AddSingleton<TenantTablespaces>();
        builder.Services.AddScoped<MoveSql>();
        builder.Services.AddScoped<MoveStore>();
        builder.Services.AddScoped<ReplicationMove>();
        builder.Services.AddScoped<ReplicationCutover>();
        builder.Services.AddScoped<TablespaceMove>();
        builder.Services.AddOperationHandler<MoveTenantHandler>(OperationKind.Move, (h, o, ct) => h.RunAsync(o, ct), (h, o, r, ct) => h.GiveUpAsync(o, r, ct));
        builder.Services.AddOperationHandler<MoveTenantHandler>(OperationKind.DropMoveSource, (h, o, ct) => h.DropSourceAsync(o, ct));
        builder.Services.AddScoped<MoveLeftovers>();
        builder.Services.AddHostedService<DrainRunner>();
    }
}
