namespace TenantAspire.Tenancy.Catalog;

/// <summary>
/// Moving: a move's cut-over is under way; Restoring: a restore's (or an undo's) swap is. In both, requests are held (for a few
/// seconds at most) rather than failed. Every change goes through <see cref="TenantLifecycle"/>.
/// </summary>
public enum TenantStatus { Provisioning, Active, Suspended, Hibernated, Deleting, Failed, Moving, Restoring }

public enum TenantTier { Standard, Premium }

/// <summary>A row of the catalog: where a tenant lives and in which state. Database and role names derive from <see cref="Id"/>.</summary>
public sealed class Tenant
{
    public Guid Id { get; set; }
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public TenantTier Tier { get; set; }
    public TenantStatus Status { get; set; }

    /// <summary>The Aspire resource / connection-string name of the Postgres server holding the tenant database.</summary>
    public required string Server { get; set; }
    public required string DatabaseName { get; set; }

    /// <summary>The tablespace holding the database (its tier's storage class); null: the server's default.</summary>
    public string? Tablespace { get; set; }
    public required string RoleName { get; set; }

    /// <summary>The role's password, protected with ASP.NET Core Data Protection; null until the role exists.</summary>
    public string? ProtectedPassword { get; set; }

    /// <summary>Last tenant migration applied to the tenant database.</summary>
    public string? SchemaVersion { get; set; }

    /// <summary>Migrated in a rollout's first ring, before everyone else (the demo tenants by default).</summary>
    public bool IsCanary { get; set; }
    public string? FailureReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? LastActivityAt { get; set; }

    /// <summary>Optimistic concurrency token (Postgres xmin).</summary>
    public uint Version { get; set; }
}
