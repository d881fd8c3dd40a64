using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>The one place that says which migration a tenant database should be at, for each path that migrates one.</summary>
public sealed class SchemaTargets(TenantSchema schema, IOptions<MigrationOptions> options)
{
    /// <summary>New tenants and the template: this build's newest migration (or the test pin).</summary>
    public string NewTenants => options.Value.PinNewTenantsAt ?? schema.LatestMigration;

    /// <summary>
    /// A tenant coming out of hibernation: what the fleet is being rolled to (the newest rollout that was not aborted), or what new
    /// tenants get, whichever is newer. It must not wake behind what its peers were moved to.
    /// </summary>
    public async Task<string> FleetAsync(CatalogDbContext db, CancellationToken ct)
    {
        var rolledTo = await db.Rollouts.AsNoTracking().Where(r => r.State != RolloutState.Aborted)
            .OrderByDescending(r => r.CreatedAt).Select(r => r.TargetMigration).FirstOrDefaultAsync(ct);
        return rolledTo is not null && TenantMigrations.IsBehind(NewTenants, rolledTo) ? rolledTo : NewTenants;
    }

    /// <summary>A tenant a request needs on a newer schema: everything this build has.</summary>
    public string Newest => schema.LatestMigration;
}
