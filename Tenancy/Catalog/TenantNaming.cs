namespace TenantAspire.Tenancy.Catalog;

/// <summary>Postgres names for a tenant, derived from its GUID only (never from the slug or any other user input).</summary>
public static class TenantNaming
{
    /// <summary>NOLOGIN role that owns the template's objects; REASSIGN OWNED hands them to each tenant's role.</summary>
    public const string TemplateOwnerRole = "tenant_template_owner";

    /// <summary>NOLOGIN role with CREATEDB/CREATEROLE (not superuser) that the worker assumes for provisioning.</summary>
    public const string ProvisionerRole = "tenant_provisioner";

    public static string DatabaseName(Guid tenantId) => "tdb_" + tenantId.ToString("N");

    /// <summary>The database a restore fills from a backup, which becomes the tenant's database at the swap.</summary>
    public static string RestoredDatabaseName(Guid restoreId) => "tdb_r" + restoreId.ToString("N");

    /// <summary>What every tenant login's name starts with (the orphan sweep parses it back; process titles show it).</summary>
    public const string RolePrefix = "trole_";

    public static string RoleName(Guid tenantId) => RolePrefix + tenantId.ToString("N");
}
