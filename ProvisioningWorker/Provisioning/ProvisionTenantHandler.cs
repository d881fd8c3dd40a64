using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Routing;

namespace TenantAspire.ProvisioningWorker.Provisioning;

/// <summary>
/// create role → database (a spare renamed, else a template clone, else empty) → grants → migrate → active. Every step is idempotent, so a retry or a
/// worker that resumes an expired lease simply runs the sequence again.
/// </summary>
public sealed class ProvisionTenantHandler(
    CatalogDbContext db,
    OperationLease lease,
    ServerAdmin admin,
    TemplateDatabase template,
    SchemaTargets targets,
    TenantMigrator migrator,
    TenantCredentialProtector protector,
    FaultInjector faults,
    SpareDatabasePool spares,
    TenantTablespaces tablespaces,
    TenantRouteCache routes,
    IOptions<ProvisioningOptions> options,
    TimeProvider clock)
{
    public async Task RunAsync(TenantOperation operation, CancellationToken ct)
    {
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (tenant is null || tenant.Status != TenantStatus.Provisioning)
        {
            return; // stale job: the tenant was deleted or changed state meanwhile; touch nothing
        }

        using (ProvisioningTelemetry.StartStep(ProvisioningSteps.Credentials, tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, ProvisioningSteps.Credentials, ct);
            if (tenant.ProtectedPassword is null)
            {
                // Stored before the role exists, so a crash between the two never loses the password.
                tenant.ProtectedPassword = protector.Protect(TenantCredentialProtector.GeneratePassword());
                tenant.UpdatedAt = clock.GetUtcNow();
                await lease.SaveChangesAsync(ct);
            }
        }
        var password = protector.Unprotect(tenant.ProtectedPassword);

        using (ProvisioningTelemetry.StartStep(ProvisioningSteps.CreateRole, tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, ProvisioningSteps.CreateRole, ct);
            await admin.EnsureRoleAsync(tenant.Server, tenant.RoleName, password, ct);
        }

        using (ProvisioningTelemetry.StartStep(ProvisioningSteps.CreateDatabase, tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, ProvisioningSteps.CreateDatabase, ct);
            // Spares live in standard storage: a tenant of another storage class is cloned straight into its own tablespace.
            tenant.Tablespace = tablespaces.For(tenant.Server, tenant.Tier);
            var spareFits = tenant.Tablespace == tablespaces.ForSpares(tenant.Server);
            if (!(options.Value.UseTemplate && spareFits && await admin.TryClaimSpareAsync(tenant.Server, tenant.DatabaseName, ct)))
            {
                var useTemplate = options.Value.UseTemplate && await template.EnsureCurrentAsync(tenant.Server, ct);
                await admin.EnsureDatabaseAsync(tenant.Server, tenant.DatabaseName, tenant.RoleName, useTemplate, tenant.Tablespace, ct);
            }
            spares.Signal();
        }

        string? applied;
        using (ProvisioningTelemetry.StartStep(ProvisioningSteps.Grants, tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, ProvisioningSteps.Grants, ct);
            applied = await admin.SecureDatabaseAsync(tenant.Server, tenant.DatabaseName, tenant.RoleName, ct);
        }

        using (ProvisioningTelemetry.StartStep(ProvisioningSteps.Migrate, tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, ProvisioningSteps.Migrate, ct);
            if (TenantMigrations.IsBehind(applied, targets.NewTenants))
            {
                // The whole schema for an empty database, the missing part for an older clone; read back, not assumed.
                applied = (await migrator.MigrateAsync(tenant, targets.NewTenants, ct)).To;
            }
        }

        using (ProvisioningTelemetry.StartStep(ProvisioningSteps.Activate, tenant.Slug))
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, ProvisioningSteps.Activate, ct);
            tenant.SchemaVersion = applied;
            tenant.FailureReason = null;
            TenantLifecycle.Apply(db, tenant, TenantAction.Activate, Audit.WorkerActor, clock.GetUtcNow(), $"schema {applied}");
            await lease.SaveChangesAsync(ct);
            await routes.PublishAsync(tenant, ct); // the tenant's first request then finds its route in Redis
        }
    }

    /// <summary>Permanent failure: nothing may be left behind. Drops database and role, marks the tenant failed with the reason.</summary>
    public async Task CleanUpAsync(TenantOperation operation, string reason, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.Id == operation.TenantId, ct);
        if (tenant is null || tenant.Status != TenantStatus.Provisioning)
        {
            return;
        }
        await lease.EnsureHeldAsync(ct); // another holder may be provisioning this very database right now
        await admin.DropDatabaseAsync(tenant.Server, tenant.DatabaseName, ct);
        await admin.DropRoleAsync(tenant.Server, tenant.RoleName, ct);
        tenant.FailureReason = reason;
        tenant.ProtectedPassword = null;
        TenantLifecycle.Apply(db, tenant, TenantAction.FailProvisioning, Audit.WorkerActor, clock.GetUtcNow(), reason);
        await lease.SaveChangesAsync(ct);
        await routes.InvalidateAsync(tenant.Slug, ct);
    }
}
