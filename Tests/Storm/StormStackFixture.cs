using TenantAspire.AppHost;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Storm;

/// <summary>
/// The storm's variant (on <see cref="SharedStack"/>): a backup pass every second with every tier's interval at zero (every
/// tenant that wrote is due), short undo window, move-source grace and deleted-tenant grace, so that everything the storm starts
/// also ends within the test.
/// </summary>
public sealed class StormStackFixture() : AspireAppFixture(sharedCatalog: "catalog_storm"), TenantAspire.Storm.IStormStack
{
    protected override IEnumerable<(string Resource, string Variable, string Value)> ServiceSettings =>
        new Dictionary<string, string>
        {
            ["Backups__Scheduled"] = "true",
            ["Backups__ScanInterval"] = "00:00:01",
            ["Backups__Tiers__Standard__Interval"] = "00:00:00",
            ["Backups__Tiers__Premium__Interval"] = "00:00:00",
            ["Backups__DrillInterval"] = "00:00:00",
            ["Backups__DeletedTenantGrace"] = "00:00:05",
            ["Backups__UndoWindow"] = "00:00:05",
            ["Moves__SourceGrace"] = "00:00:02",
        }.Select(s => (ResourceNames.Worker, s.Key, s.Value));

    /// <summary>The stack's API and its second API process (<see cref="AspireAppFixture.SecondApi"/>).</summary>
    int TenantAspire.Storm.IStormStack.ApiReplicas => 2;

    public HttpClient Api(int replica, string? tenant, params string[] roles) =>
        ApiOn(replica == 0 ? "tenant-api" : SecondApi, tenant, roles);

    Task<string> TenantAspire.Storm.IStormStack.ConnectionStringAsync(string resource) => ConnectionStringAsync(resource);

    Task<Azure.Storage.Blobs.BlobServiceClient> TenantAspire.Storm.IStormStack.BlobStoreAsync() => BlobStoreAsync();

    /// <summary>Starts again the workers the storm SIGKILLed, once they are seen as exited.</summary>
    public Task RestartWorkersAsync() => Resources.RestartKilledAsync("provisioning-worker");
}
