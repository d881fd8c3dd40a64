using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>
/// The catalog's <c>schema_version</c> follows what a migration read back from the tenant's own history, never what it meant to
/// apply; a migration that applied something is audited. Changes the tracked tenant; the caller saves (under its own fencing).
/// </summary>
public static class TenantVersions
{
    public const string MigratedAction = "migrated";

    public static void Apply(CatalogDbContext db, Tenant tenant, TenantMigrationResult result, string actor, DateTimeOffset now)
    {
        if (result.To is null || string.Equals(tenant.SchemaVersion, result.To, StringComparison.Ordinal))
        {
            return;
        }
        tenant.SchemaVersion = result.To;
        tenant.UpdatedAt = now;
        if (result.Applied)
        {
            db.AuditEvents.Add(Audit.Event(tenant, MigratedAction, actor, now,
                $"{result.From ?? "empty"} -> {result.To} in {result.Duration.TotalMilliseconds:0} ms"));
        }
    }
}
