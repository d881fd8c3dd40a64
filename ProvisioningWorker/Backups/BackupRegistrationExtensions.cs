using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Backups;

namespace TenantAspire.ProvisioningWorker.Backups;

internal static class BackupRegistrationExtensions
{
    /// <summary>The backup store, the scheduler and the handlers of backups, restores, drills and exports.</summary>
    public static IHostApplicationBuilder AddBackups(this IHostApplicationBuilder builder)
    {
        builder.AddBackupStore();
        builder.Services.AddOptions<BackupOptions>().Bind(builder.Configuration.GetSection(BackupOptions.Section))
            .Validate(o => o.Concurrency > 0 && o.ScanInterval > TimeSpan.Zero && o.Tiers.Values.All(t => t.Interval >= TimeSpan.Zero && t.Keep >= 1),
                "Backups: Concurrency and ScanInterval must be positive, every tier's Keep at least 1")
            .ValidateOnStart();
        builder.Services.AddSingleton<PgTools>();
        builder.Services.AddSingleton<BackupPassRequests>();
        builder.Services.AddScoped<WriteCounters>();
        builder.Services.AddScoped<TenantDumper>();
        builder.Services.AddScoped<BackupRunner>();
        builder.Services.AddOperationHandler<BackupHandler>(OperationKind.Backup, (h, o, ct) => h.RunAsync(o, ct));
        builder.Services.AddScoped<BackupRestorer>();
        builder.Services.AddScoped<DatabaseSwap>();
        builder.Services.AddOperationHandler<RestoreHandler>(OperationKind.Restore, (h, o, ct) => h.RunAsync(o, ct), (h, o, r, ct) => h.GiveUpAsync(o, r, ct));
        builder.Services.AddOperationHandler<RestoreHandler>(OperationKind.UndoRestore, (h, o, ct) => h.UndoAsync(o, ct), (h, o, r, ct) => h.GiveUpUndoAsync(o, r, ct));
        builder.Services.AddOperationHandler<RestoreHandler>(OperationKind.DropRestorePrevious, (h, o, ct) => h.DropPreviousAsync(o, ct));
        builder.Services.AddScoped<RestoreLeftovers>();
        builder.Services.AddScoped<ExportLeftovers>();
        builder.Services.AddScoped<DrillRunner>();
        builder.Services.AddOperationHandler<ExportHandler>(OperationKind.Export, (h, o, ct) => h.RunAsync(o, ct), (h, o, r, ct) => h.GiveUpAsync(o, r, ct));
        builder.Services.AddScoped<BackupHousekeeping>();
        builder.Services.AddHostedService<BackupScheduler>();
        return builder;
    }
}
