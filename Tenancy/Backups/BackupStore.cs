using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace TenantAspire.Tenancy.Backups;

/// <summary>
/// Backups and exports in object storage (the Azure Blob API; Azurite locally), never on a database server's own disk. A blob is
/// written as staged blocks committed at the end (<see cref="StagedBlobStream"/>), so a writer that dies half-way leaves no blob, only
/// uncommitted blocks the service discards.
/// </summary>
public sealed class BackupStore(BlobServiceClient blobs)
{
    public const string BackupsContainer = "backups";
    public const string ExportsContainer = "exports";

    private readonly ConcurrentDictionary<string, Lazy<Task<BlobContainerClient>>> _containers = new(StringComparer.Ordinal);

    public static string TenantPrefix(Guid tenantId) => $"tenants/{tenantId:N}/";

    public static string BackupBlobName(Guid tenantId, Guid backupId) => TenantPrefix(tenantId) + $"{backupId:N}.dump";

    public static string ExportBlobName(Guid tenantId, Guid exportId) => $"tenants/{tenantId:N}/{exportId:N}.dump";

    /// <summary>A stream that uploads as it is written; the blob exists only once <see cref="StagedBlobStream.CommitAsync"/> ran.</summary>
    public async Task<StagedBlobStream> OpenWriteAsync(string container, string blobName, CancellationToken ct) =>
        new((await ContainerAsync(container, ct)).GetBlockBlobClient(blobName));

    /// <summary>The blob's content, streamed; <see cref="BackupBlobMissingException"/> when there is none.</summary>
    public async Task<Stream> OpenReadAsync(string container, string blobName, CancellationToken ct)
    {
        try
        {
            // Never creates the container: the API reads with a read-only SAS (a missing container is a missing blob).
            return await blobs.GetBlobContainerClient(container).GetBlobClient(blobName).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new BackupBlobMissingException(container, blobName);
        }
    }

    /// <summary>Deletes every blob under <paramref name="prefix"/> (a tenant's folder); returns how many there were.</summary>
    public async Task<int> DeletePrefixAsync(string container, string prefix, CancellationToken ct)
    {
        var client = await ContainerAsync(container, ct);
        var deleted = 0;
        await foreach (var blob in client.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, ct))
        {
            await client.DeleteBlobIfExistsAsync(blob.Name, DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct);
            deleted++;
        }
        return deleted;
    }

    public async Task DeleteAsync(string container, string blobName, CancellationToken ct) =>
        await (await ContainerAsync(container, ct)).DeleteBlobIfExistsAsync(blobName, DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct);

    /// <summary>Reads the whole blob and returns its SHA-256 (lower-case hex) and length.</summary>
    public async Task<(string Sha256, long Bytes)> HashAsync(string container, string blobName, CancellationToken ct)
    {
        await using var content = await OpenReadAsync(container, blobName, ct);
        return await HashingCopy.CopyAsync(content, Stream.Null, ct);
    }

    /// <summary>
    /// The container for a write or a delete, created once per process. A creation that failed (the store was down) is forgotten, so the next call tries
    /// again: one outage must not outlive itself in this cache.
    /// </summary>
    private async Task<BlobContainerClient> ContainerAsync(string name, CancellationToken ct)
    {
        var entry = _containers.GetOrAdd(name, n => new(async () =>
        {
            var container = blobs.GetBlobContainerClient(n);
            await container.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None);
            return container;
        }));
        try
        {
            return await entry.Value.WaitAsync(ct);
        }
        catch when (entry.Value.IsFaulted || entry.Value.IsCanceled)
        {
            _containers.TryRemove(KeyValuePair.Create(name, entry));
            throw;
        }
    }
}

public sealed class BackupBlobMissingException(string container, string blobName)
    : Exception($"The store has no blob '{blobName}' in '{container}'.");
