using TenantAspire.Tenancy.Telemetry;

namespace TenantAspire.Tenancy.Catalog;

public static class TenantFactory
{
    /// <summary>A new tenant in <c>provisioning</c>, its names derived from a fresh GUID, plus its provision operation.</summary>
    public static Tenant Request(CatalogDbContext db, string slug, string name, TenantTier tier, string server,
        string actor, OperationTrace trace, DateTimeOffset now)
    {
        var id = Guid.CreateVersion7();
        var tenant = new Tenant
        {
            Id = id,
            Slug = slug,
            Name = name,
            Tier = tier,
            Status = TenantStatus.Provisioning,
            Server = server,
            DatabaseName = TenantNaming.DatabaseName(id),
            RoleName = TenantNaming.RoleName(id),
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Tenants.Add(tenant);
        db.Enqueue(id, OperationKind.Provision, trace, now);
        db.AuditEvents.Add(Audit.Event(tenant, "create-requested", actor, now, $"tier {tier}"));
        return tenant;
    }
}
