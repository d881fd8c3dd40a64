using TenantAspire.Tenancy.Backups;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>A backup that cannot be restored as recorded: its blob is gone, its checksum differs, or its rows do not match.</summary>
public sealed class BackupUnusableException(string message) : Exception(message);

/// <summary>
/// Restores a backup into a fresh database and proves it: the blob's SHA-256 (hashed as pg_restore reads it) equals the recorded
/// one, every table holds the recorded number of rows, and the migration history ends at the recorded version. Anything else drops
/// the database and throws <see cref="BackupUnusableException"/>. Restores and drills both come through here.
/// </summary>
public sealed class BackupRestorer(ServerAdmin admin, ServerConnections connections, PgTools tools, BackupStore store)
{
    /// <returns>The rows verified.</returns>
    public async Task<long> RestoreAsync(TenantBackup backup, string server, string database, string role, string? tablespace,
        CancellationToken ct)
    {
        await admin.DropDatabaseAsync(server, database, ct); // a previous attempt's leftover: start from nothing
        await admin.CreateEmptyDatabaseAsync(server, database, role, tablespace, ct);
        try
        {
            return await FillAndVerifyAsync(backup, server, database, role, ct);
        }
        catch (Exception e) when (e is BackupUnusableException or PgToolException { Unreachable: false })
        {
            await admin.DropDatabaseAsync(server, database, CancellationToken.None);
            if (e is PgToolException)
            {
                // pg_restore stops at the first damaged byte, before the stream's hash is complete: hash the whole blob to say why.
                var (sha, bytes) = await store.HashAsync(BackupStore.BackupsContainer, backup.BlobName, ct);
                throw sha != backup.Sha256 || bytes != backup.Bytes
                    ? Corrupt(backup, sha, bytes)
                    : new BackupUnusableException($"backup {backup.Id} did not restore: {e.Message}");
            }
            throw;
        }
    }

    private async Task<long> FillAndVerifyAsync(TenantBackup backup, string server, string database, string role, CancellationToken ct)
    {
        Stream content;
        try
        {
            content = await store.OpenReadAsync(BackupStore.BackupsContainer, backup.BlobName, ct);
        }
        catch (BackupBlobMissingException e)
        {
            throw new BackupUnusableException($"backup {backup.Id}: {e.Message}");
        }
        await using (content)
        {
            var (sha, bytes) = await tools.RestoreAsync(server, database, role, content, ct);
            if (!string.Equals(sha, backup.Sha256, StringComparison.Ordinal) || bytes != backup.Bytes)
            {
                throw Corrupt(backup, sha, bytes);
            }
        }
        await using var source = connections.AdminIn(server, database);
        await using var connection = await source.OpenConnectionAsync(ct);
        var counts = await RowCounts.ReadAsync(connection, null, ct);
        if (RowCounts.Compare(backup.RowCounts, counts) is { } difference)
        {
            throw new BackupUnusableException($"backup {backup.Id} restored with different data: {difference}");
        }
        var schema = await TenantHistory.AppliedAsync(connection, null, ct);
        if (!string.Equals(schema, backup.SchemaVersion, StringComparison.Ordinal))
        {
            throw new BackupUnusableException($"backup {backup.Id} restored at schema {schema ?? "none"}, {backup.SchemaVersion ?? "none"} was recorded");
        }
        return counts.Values.Sum();
    }

    private static BackupUnusableException Corrupt(TenantBackup backup, string sha, long bytes) => new(
        $"backup {backup.Id} is corrupt: its checksum is {sha} ({bytes} bytes), {backup.Sha256} ({backup.Bytes} bytes) was recorded");
}
