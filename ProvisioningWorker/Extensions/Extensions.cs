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
        builder.Services.AddSingleton<TemplateDatabase>();
        builder.Services.AddSingleton<FaultInjector>();
        builder.Services.AddScoped<ServerAdmin>();
        builder.Services.AddScoped<CatalogApiLogin>();
        builder.Services.AddScoped<ServerBootstrap>();
        builder.Services.AddScoped<OperationQueue>();
        builder.Services.AddScoped<OperationLease>();
        builder.Services.AddScoped<ProvisionTenantHandler>();
        builder.Services.AddScoped<DeleteTenantHandler>();
        builder.Services.AddScoped<HibernationHandler>();
        builder.Services.AddOptions<HibernationOptions>().Bind(builder.Configuration.GetSection(HibernationOptions.Section))
            .Validate(o => o.CheckInterval > TimeSpan.Zero, "Hibernation:CheckInterval must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<HibernationScanRequests>();
        builder.Services.AddSingleton<HibernationMonitor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HibernationMonitor>());
        builder.Services.AddSingleton<OperationWakeup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OperationWakeup>());
        builder.Services.AddHostedService<OperationProcessor>();
        builder.Services.AddSingleton<ProvisioningReadiness>();
        builder.Services.AddSingleton<SpareDatabasePool>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SpareDatabasePool>());
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
        builder.Services.AddScoped<UpgradeTenantHandler>();
        builder.Services.AddHostedService<RolloutRunner>();
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
        builder.Services.AddScoped<MoveTenantHandler>();
        builder.Services.AddScoped<MoveLeftovers>();
        builder.Services.AddHostedService<DrainRunner>();
        builder.AddBackups();
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
}
