using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Backups;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>
/// Makes a tenant's pending exports: one consistent dump (<see cref="TenantDumper"/>, as the tenant's role) into the exports
/// container; the API streams it from there. Exports asked for while one runs are made by the same operation.
/// </summary>
public sealed class ExportHandler(
    CatalogDbContext db, OperationLease lease, BackupStore store, TenantDumper dumper, ServerAdmin admin, FaultInjector faults,
    IOptions<BackupOptions> options, TimeProvider clock, ILogger<ExportHandler> logger)
{
    public async Task RunAsync(TenantOperation operation, CancellationToken ct)
    {
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        var exports = await db.Exports.Where(e => e.TenantId == operation.TenantId
            && (e.State == ExportState.Pending || e.State == ExportState.Running)).OrderBy(e => e.CreatedAt).ToListAsync(ct);
        if (tenant is null || exports.Count == 0)
        {
            return;
        }
        if (tenant.Status is not (TenantStatus.Active or TenantStatus.Suspended or TenantStatus.Hibernated))
        {
            throw new InvalidOperationException($"tenant '{tenant.Slug}' is {tenant.Status.ToString().ToLowerInvariant()}; exports wait until it is back");
        }
        foreach (var export in exports)
        {
            using var activity = BackupTelemetry.Start("tenant export", tenant.Slug);
            export.State = ExportState.Running;
            await lease.SaveChangesAsync(ct);
            var blobName = BackupStore.ExportBlobName(tenant.Id, export.Id);
            await using var blob = await store.OpenWriteAsync(BackupStore.ExportsContainer, blobName, ct);
            var dump = await admin.WhileOpenAsync(tenant.Server, tenant.DatabaseName, tenant.Status == TenantStatus.Hibernated,
                () => dumper.DumpAsync(BackupTarget.From(tenant).Login, blob, ct), ct);
            await faults.ThrowIfInjectedAsync(tenant.Slug, BackupSteps.Export, ct);
            await blob.CommitAsync(ct);
            var now = clock.GetUtcNow();
            export.State = ExportState.Succeeded;
            export.BlobName = blobName;
            export.Bytes = dump.Bytes;
            export.Sha256 = dump.Sha256;
            export.CompletedAt = now;
            export.ExpiresAt = now + options.Value.ExportExpiry;
            db.AuditEvents.Add(Audit.Event(tenant, "exported", Audit.WorkerActor, now, $"export {export.Id}, {dump.Bytes} bytes, asked by {export.RequestedBy}"));
            await lease.SaveChangesAsync(ct);
            BackupTelemetry.Exports.Add(1, new KeyValuePair<string, object?>("outcome", "succeeded"));
            logger.LogInformation("Exported {Tenant}: {Bytes} bytes (export {Export})", tenant.Slug, dump.Bytes, export.Id);
        }
    }

    public async Task GiveUpAsync(TenantOperation operation, string reason, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var exports = await db.Exports.Where(e => e.TenantId == operation.TenantId
            && (e.State == ExportState.Pending || e.State == ExportState.Running)).ToListAsync(ct);
        foreach (var export in exports)
        {
            export.State = ExportState.Failed;
            export.Error = reason.Length > 2000 ? reason[..2000] : reason;
            export.CompletedAt = clock.GetUtcNow();
            BackupTelemetry.Exports.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
        }
        await lease.SaveChangesAsync(ct);
    }
}
