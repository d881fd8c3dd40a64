using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>
/// Restore drills: proof that backups restore, before anyone needs one. Each drill takes the newest backup of a tenant (those whose
/// newest backup was drilled longest ago, or never, first), restores it into a scratch database on the backup's server through
/// the same path as a real restore (checksum, row counts, migration history), drops it, and records the outcome on the backup
/// (<c>GET /api/tenants/{slug}/backups</c>), in a metric and in the log.
/// </summary>
public sealed class DrillRunner(CatalogDbContext db, BackupRestorer restorer, ServerAdmin admin, ServerResolver servers, CatalogScopedNames names,
    TimeProvider clock, ILogger<DrillRunner> logger)
{
    public async Task RunAsync(int count, CancellationToken ct)
    {
        await DropLeftoversAsync(ct);
        var candidates = await db.Backups.FromSql($"SELECT DISTINCT ON (tenant_id) * FROM tenant_backups WHERE tenant_deleted_at IS NULL ORDER BY tenant_id, created_at DESC")
            .OrderBy(b => b.DrilledAt.HasValue).ThenBy(b => b.DrilledAt).ThenBy(b => b.CreatedAt).Take(count).ToListAsync(ct);
        foreach (var backup in candidates.Where(b => servers.Names.Contains(b.Server)))
        {
            await DrillAsync(backup, ct);
        }
    }

    public async Task DrillAsync(TenantBackup backup, CancellationToken ct)
    {
        TenantTelemetry.Enter(backup.TenantSlug);
        using var activity = BackupTelemetry.Start("tenant restore drill", backup.TenantSlug);
        var scratch = names.DrillDatabaseName(backup.Id);
        string? error = null;
        try
        {
            // As the provisioner: the tenant's role may be gone (deleted tenant) or on another server (moved since).
            await restorer.RestoreAsync(backup, backup.Server, scratch, TenantNaming.ProvisionerRole, tablespace: null, ct);
        }
        catch (Exception e) when (e is BackupUnusableException or PgToolException or Npgsql.NpgsqlException && !ct.IsCancellationRequested)
        {
            error = Failures.Describe(e);
        }
        finally
        {
            await admin.DropDatabaseAsync(backup.Server, scratch, CancellationToken.None);
        }
        backup.DrilledAt = clock.GetUtcNow();
        backup.DrillOutcome = error is null ? DrillOutcome.Passed : DrillOutcome.Failed;
        backup.DrillError = error is { Length: > 2000 } ? error[..2000] : error;
        await db.SaveChangesAsync(ct);
        BackupTelemetry.Drills.Add(1, new KeyValuePair<string, object?>("outcome", backup.DrillOutcome.ToString()!.ToLowerInvariant()));
        if (error is null)
        {
            logger.LogInformation("Drill of backup {Backup} of {Tenant} passed", backup.Id, backup.TenantSlug);
        }
        else
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, error);
            logger.LogError("Drill of backup {Backup} of {Tenant} FAILED: {Error}", backup.Id, backup.TenantSlug, error);
        }
    }

    /// <summary>Scratch databases of a drill that died with its worker.</summary>
    private Task DropLeftoversAsync(CancellationToken ct) => admin.DropDatabasesLikeAsync(servers.Names, names.DrillPrefix, ct);
}
