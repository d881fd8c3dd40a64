using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Backups;

/// <summary>
/// Scheduled backups every second for standard tenants (interval zero: every changed tenant is due at each pass), three kept per
/// tenant, drills every two seconds, a deleted tenant's backups purged after ten seconds, a fifteen-second undo window.
/// </summary>
public sealed class BackupStackFixture : AspireAppFixture
{
    public const int Keep = 3;
    public static readonly TimeSpan UndoWindow = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan DeletedTenantGrace = TimeSpan.FromSeconds(10);

    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "provisioning-worker"))
            .WithEnvironment("Backups__Scheduled", "true")
            .WithEnvironment("Backups__ScanInterval", "00:00:01")
            .WithEnvironment("Backups__Tiers__Standard__Interval", "00:00:00")
            .WithEnvironment("Backups__Tiers__Standard__Keep", Keep.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("Backups__DrillInterval", "00:00:02")
            .WithEnvironment("Backups__DrillsPerPass", "5")
            .WithEnvironment("Backups__DeletedTenantGrace", DeletedTenantGrace.ToString("c", System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("Backups__UndoWindow", UndoWindow.ToString("c", System.Globalization.CultureInfo.InvariantCulture))
            // The archive pass reads each server's archiving state every 2 s (and the premium server below ships its WAL every
            // 5 s), so the lost-server test waits seconds, not a minute, for its write to reach the archive.
            .WithEnvironment("Archive__PassInterval", "00:00:02")
            // One point-in-time drill per server for the run (as soon as a tenant has a window), for the drill's test.
            .WithEnvironment("Archive__DrillInterval", "01:00:00");
        builder.CreateResourceBuilder(builder.Resources.OfType<TenantAspire.AppHost.Local.LocalPostgresServerResource>().Single(r => r.Name == "postgres-premium"))
            .WithEnvironment("PG_ARCHIVE_TIMEOUT", "5s");
    }
}

[CollectionDefinition(Name)]
public sealed class BackupStackCollection : ICollectionFixture<BackupStackFixture>
{
    public const string Name = "backup-stack";
}
