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

    public static string BackupBlobName(Guid tenantId, Guid backupId) => $"tenants/{tenantId:N}/{backupId:N}.dump";

    public static string ExportBlobName(Guid tenantId, Guid exportId) => $"tenants/{tenantId:N}/{exportId:N}.dump";

    /// <summary>A stream that uploads as it is written; the blob exists only once <see cref="StagedBlobStream.CommitAsync"/> ran.</summary>
    public async Task<StagedBlobStream> OpenWriteAsync(string container, string blobName, CancellationToken ct) =>
        new((await ContainerAsync(container, ct)).GetBlockBlobClient(blobName));

    /// <summary>The blob's content, streamed; <see cref="BackupBlobMissingException"/> when there is none.</summary>
    public async Task<Stream> OpenReadAsync(string container, string blobName, CancellationToken ct)
    {
        try
        {
            return await (await ContainerAsync(container, ct)).GetBlobClient(blobName).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new BackupBlobMissingException(container, blobName);
        }
    }

    public async Task DeleteAsync(string container, string blobName, CancellationToken ct) =>
        await (await ContainerAsync(container, ct)).DeleteBlobIfExistsAsync(blobName, DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct);

    /// <summary>Reads the whole blob and returns its SHA-256 (lower-case hex) and length.</summary>
    public async Task<(string Sha256, long Bytes)> HashAsync(string container, string blobName, CancellationToken ct)
    {
        await using var content = await OpenReadAsync(container, blobName, ct);
        return await HashingCopy.CopyAsync(content, Stream.Null, ct);
    }

    private Task<BlobContainerClient> ContainerAsync(string name, CancellationToken ct) =>
        _containers.GetOrAdd(name, n => new(async () =>
        {
            var container = blobs.GetBlobContainerClient(n);
            await container.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None);
            return container;
        })).Value.WaitAsync(ct);
}

public sealed class BackupBlobMissingException(string container, string blobName)
    : Exception($"The store has no blob '{blobName}' in '{container}'.");
