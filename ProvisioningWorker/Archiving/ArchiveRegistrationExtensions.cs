namespace TenantAspire.ProvisioningWorker.Archiving;

internal static class ArchiveRegistrationExtensions
{
    /// <summary>Continuous archiving: the archive pass (stanzas, base backups, recovery windows) and point-in-time restores.</summary>
    public static IHostApplicationBuilder AddArchiving(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ArchiveOptions>().Bind(builder.Configuration.GetSection(ArchiveOptions.Section))
            .Validate(o => o.PassInterval > TimeSpan.Zero && o.FullBackupInterval > TimeSpan.Zero && o.DiffBackupInterval > TimeSpan.Zero
                           && o.ScratchTimeout > TimeSpan.Zero && o.ArchiveWait > TimeSpan.Zero && o.DrillInterval >= TimeSpan.Zero,
                "Archive: intervals and timeouts must be positive (DrillInterval zero: no drills).")
            .ValidateOnStart();
        builder.Services.AddSingleton<PgBackRest>();
        builder.Services.AddSingleton<ScratchInstances>();
        builder.Services.AddScoped<PointInTimeRestorer>();
        builder.Services.AddScoped<PointInTimeDrill>();
        builder.Services.AddHostedService<ArchivePass>();
        return builder;
    }
}
