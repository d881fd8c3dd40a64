using System.Diagnostics;
using TenantAspire.Tenancy.Backups;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>
/// The fields of a tenant a backup needs (the scheduler reads them without tracking whole tenants). <see cref="Closed"/>: the
/// database is hibernated (closed to connections); it is opened for the dump only and closed again.
/// </summary>
public sealed record BackupTarget(Guid Id, string Slug, TenantTier Tier, string Server, string DatabaseName, string RoleName,
    string? ProtectedPassword, bool Closed = false)
{
    public static BackupTarget From(Tenant t) =>
        new(t.Id, t.Slug, t.Tier, t.Server, t.DatabaseName, t.RoleName, t.ProtectedPassword, t.Status == TenantStatus.Hibernated);

    public TenantLogin Login => new(Server, DatabaseName, RoleName, ProtectedPassword);
}

/// <summary>
/// Backs one tenant up: the changed-only signal is read first, then the dump streams into the store as staged blocks; the blob is
/// committed, and only then is the <see cref="TenantBackup"/> row written. A worker that dies before the end leaves no blob and no
/// row (a death between the commit and the row leaves a whole blob that no row names; it is never offered for a restore).
/// </summary>
public sealed class BackupRunner(
    CatalogDbContext db, OperationLease lease, BackupStore store, TenantDumper dumper, WriteCounters counters, ServerAdmin admin,
    FaultInjector faults, TimeProvider clock, ILogger<BackupRunner> logger)
{
    /// <summary>The tenant's newest backup, as the changed-only decisions see it.</summary>
    public async Task<LastBackup?> LastAsync(Guid tenantId, CancellationToken ct) =>
        await db.Backups.AsNoTracking().Where(b => b.TenantId == tenantId).OrderByDescending(b => b.CreatedAt).FirstOrDefaultAsync(ct)
            is { } newest ? LastBackup.From(newest) : null;

    /// <summary>Must run as the tenant's running operation (claimed, or begun inline by a pass): the row is written through its lease.</summary>
    public async Task<TenantBackup> RunAsync(BackupTarget tenant, string trigger, CancellationToken ct)
    {
        return await admin.WhileOpenAsync(tenant.Server, tenant.DatabaseName, tenant.Closed, () => DumpAsync(tenant, trigger, ct), ct);
    }

    private async Task<TenantBackup> DumpAsync(BackupTarget tenant, string trigger, CancellationToken ct)
    {
        using var activity = BackupTelemetry.Start("tenant backup", tenant.Slug);
        activity?.SetTag("backup.trigger", trigger);
        var tier = new KeyValuePair<string, object?>("tier", tenant.Tier.ToString());
        var started = Stopwatch.GetTimestamp();
        try
        {
            var signal = await counters.ReadAsync(tenant.Server, tenant.DatabaseName, ct); // before the dump: see WriteSignal
            var id = Guid.CreateVersion7();
            var blobName = BackupStore.BackupBlobName(tenant.Id, id);
            await using var blob = await store.OpenWriteAsync(BackupStore.BackupsContainer, blobName, ct);
            var dump = await dumper.DumpAsync(tenant.Login, blob, ct);
            await faults.ThrowIfInjectedAsync(tenant.Slug, BackupSteps.Commit, ct);
            await blob.CommitAsync(ct);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var backup = new TenantBackup
            {
                Id = id,
                TenantId = tenant.Id,
                TenantSlug = tenant.Slug,
                Tier = tenant.Tier,
                Server = tenant.Server,
                DatabaseName = tenant.DatabaseName,
                BlobName = blobName,
                Bytes = dump.Bytes,
                Sha256 = dump.Sha256,
                SchemaVersion = dump.SchemaVersion,
                RowCounts = dump.RowCounts,
                WriteCounter = signal?.Counter ?? -1,
                StatsReset = signal?.StatsReset,
                UserWrites = dump.UserWrites,
                DurationMs = (int)elapsed.TotalMilliseconds,
                Trigger = trigger,
                CreatedAt = clock.GetUtcNow(),
            };
            db.Backups.Add(backup);
            try
            {
                await lease.SaveChangesAsync(ct); // fenced: a worker that lost its operation records nothing
            }
            catch
            {
                // A committed blob no row will ever name: not kept (best effort; a crash here is caught by the tenant's erasure).
                await store.DeleteAsync(BackupStore.BackupsContainer, blobName, CancellationToken.None);
                throw;
            }
            BackupTelemetry.Backups.Add(1, tier, new("outcome", "succeeded"));
            BackupTelemetry.Bytes.Add(dump.Bytes, tier);
            BackupTelemetry.Duration.Record(elapsed.TotalSeconds, tier);
            activity?.SetTag("backup.bytes", dump.Bytes);
            logger.LogInformation("Backed up {Tenant}: {Bytes} bytes, {Rows} rows in {Elapsed:0} ms ({Trigger})",
                tenant.Slug, dump.Bytes, dump.RowCounts.Values.Sum(), elapsed.TotalMilliseconds, trigger);
            return backup;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            BackupTelemetry.Backups.Add(1, tier, new("outcome", "failed"));
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }
}
