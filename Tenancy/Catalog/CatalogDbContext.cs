using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace TenantAspire.Tenancy.Catalog;

/// <summary>The catalog: which tenants exist, where they live, what is being done to them, and what happened.</summary>
public sealed class CatalogDbContext(DbContextOptions<CatalogDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<TenantOperation> Operations => Set<TenantOperation>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<SchemaRollout> Rollouts => Set<SchemaRollout>();
    public DbSet<RolloutTenant> RolloutTenants => Set<RolloutTenant>();
    public DbSet<DatabaseServer> Servers => Set<DatabaseServer>();
    public DbSet<TenantMove> Moves => Set<TenantMove>();
    public DbSet<TenantBackup> Backups => Set<TenantBackup>();
    public DbSet<TenantRestore> Restores => Set<TenantRestore>();
    public DbSet<TenantExport> Exports => Set<TenantExport>();
    public DbSet<BackupPass> BackupPasses => Set<BackupPass>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Tenant>(t =>
        {
            t.ToTable("tenants");
            t.HasKey(x => x.Id);
            t.Property(x => x.Slug).HasMaxLength(63);
            t.HasIndex(x => x.Slug).IsUnique();
            t.Property(x => x.Name).HasMaxLength(200);
            t.Property(x => x.Tier).HasConversion<string>().HasMaxLength(16);
            t.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            t.HasIndex(x => x.Status);
            t.Property(x => x.Server).HasMaxLength(63);
            t.Property(x => x.DatabaseName).HasMaxLength(63);
            t.Property(x => x.Tablespace).HasMaxLength(63);
            t.Property(x => x.RoleName).HasMaxLength(63);
            t.HasIndex(x => x.Server);
            t.Property(x => x.SchemaVersion).HasMaxLength(150);
            t.Property(x => x.FailureReason).HasMaxLength(2000);
            t.Property(x => x.Version).IsRowVersion();
        });

        modelBuilder.Entity<TenantOperation>(o =>
        {
            o.ToTable("tenant_operations");
            o.HasKey(x => x.Id);
            o.Property(x => x.Kind).HasConversion<string>().HasMaxLength(32);
            o.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
            o.Property(x => x.LastError).HasMaxLength(2000);
            o.Property(x => x.LeasedBy).HasMaxLength(200);
            o.Property(x => x.TraceParent).HasMaxLength(2000);
            o.Property(x => x.Baggage).HasMaxLength(8192); // the W3C baggage header's limit
            o.HasIndex(x => new { x.State, x.NextAttemptAt });
            o.HasIndex(x => x.TenantId);
            // One operation at a time per tenant, enforced by the database: a second running row of a tenant cannot exist, whether
            // claimed from the queue or begun inline by a pass (a unique index, not a check-then-act under read committed).
            o.HasIndex(x => x.TenantId, "ux_tenant_operations_one_running").IsUnique().HasFilter("state = 'Running'")
                .HasDatabaseName("ux_tenant_operations_one_running");
        });

        modelBuilder.Entity<AuditEvent>(a =>
        {
            a.ToTable("audit_events");
            a.HasKey(x => x.Id);
            a.Property(x => x.TenantSlug).HasMaxLength(63);
            a.Property(x => x.Action).HasMaxLength(64);
            a.Property(x => x.Actor).HasMaxLength(200);
            a.Property(x => x.Detail).HasMaxLength(2000);
            a.HasIndex(x => x.TenantId);
        });

        modelBuilder.Entity<SchemaRollout>(r =>
        {
            r.ToTable("schema_rollouts");
            r.HasKey(x => x.Id);
            r.Property(x => x.TargetMigration).HasMaxLength(150);
            r.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
            r.Property(x => x.HaltReason).HasMaxLength(2000);
            r.Property(x => x.StartedBy).HasMaxLength(200);
            r.Property(x => x.TraceParent).HasMaxLength(2000);
            r.Ignore(x => x.IsOpen);
            // At most one open rollout (running, paused or halted): a partial unique index, created in the migration by hand
            // because EF Core cannot model an index on a constant.
        });

        modelBuilder.Entity<RolloutTenant>(t =>
        {
            t.ToTable("schema_rollout_tenants");
            t.HasKey(x => new { x.RolloutId, x.TenantId });
            t.Property(x => x.TenantSlug).HasMaxLength(63);
            t.Property(x => x.Server).HasMaxLength(63);
            t.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
            t.Property(x => x.LeasedBy).HasMaxLength(200);
            t.Property(x => x.FromMigration).HasMaxLength(150);
            t.Property(x => x.ToMigration).HasMaxLength(150);
            t.Property(x => x.Error).HasMaxLength(2000);
            t.HasIndex(x => new { x.RolloutId, x.Ring, x.State });
            t.HasIndex(x => x.TenantId);
            t.HasOne<SchemaRollout>().WithMany().HasForeignKey(x => x.RolloutId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<DatabaseServer>(s =>
        {
            s.ToTable("servers");
            s.HasKey(x => x.Name);
            s.Property(x => x.Name).HasMaxLength(63);
            s.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
            s.Property(x => x.ArchiveError).HasMaxLength(2000);
            s.Property(x => x.PitrDrillOutcome).HasConversion<string>().HasMaxLength(16);
            s.Property(x => x.PitrDrill).HasMaxLength(2000);
        });

        modelBuilder.Entity<TenantMove>(m =>
        {
            m.ToTable("tenant_moves");
            m.HasKey(x => x.Id);
            m.Property(x => x.TenantSlug).HasMaxLength(63);
            m.Property(x => x.FromServer).HasMaxLength(63);
            m.Property(x => x.FromTablespace).HasMaxLength(63);
            m.Property(x => x.ToServer).HasMaxLength(63);
            m.Property(x => x.ToTablespace).HasMaxLength(63);
            m.Property(x => x.DatabaseName).HasMaxLength(63);
            m.Property(x => x.Method).HasConversion<string>().HasMaxLength(16);
            m.Property(x => x.Phase).HasConversion<string>().HasMaxLength(16);
            m.Property(x => x.ToTier).HasConversion<string>().HasMaxLength(16);
            m.Property(x => x.Reason).HasMaxLength(16);
            m.Property(x => x.RequestedBy).HasMaxLength(200);
            m.Property(x => x.Error).HasMaxLength(2000);
            m.HasIndex(x => x.TenantId);
            m.HasIndex(x => new { x.FromServer, x.Phase });
            // At most one open move per tenant: a partial unique index, written in the migration by hand (as for rollouts).
        });

        modelBuilder.Entity<TenantBackup>(b =>
        {
            b.ToTable("tenant_backups");
            b.HasKey(x => x.Id);
            b.Property(x => x.TenantSlug).HasMaxLength(63);
            b.Property(x => x.Tier).HasConversion<string>().HasMaxLength(16);
            b.Property(x => x.Server).HasMaxLength(63);
            b.Property(x => x.DatabaseName).HasMaxLength(63);
            b.Property(x => x.BlobName).HasMaxLength(200);
            b.Property(x => x.Sha256).HasMaxLength(64);
            b.Property(x => x.SchemaVersion).HasMaxLength(150);
            AsJsonb(b.Property(x => x.RowCounts));
            b.Property(x => x.Trigger).HasMaxLength(16);
            b.Property(x => x.DrillOutcome).HasConversion<string>().HasMaxLength(16);
            b.Property(x => x.DrillError).HasMaxLength(2000);
            b.HasIndex(x => new { x.TenantId, x.CreatedAt });
        });

        modelBuilder.Entity<TenantRestore>(r =>
        {
            r.ToTable("tenant_restores");
            r.HasKey(x => x.Id);
            r.Property(x => x.TenantSlug).HasMaxLength(63);
            r.Property(x => x.SourceSlug).HasMaxLength(63);
            r.Property(x => x.Server).HasMaxLength(63);
            r.Property(x => x.Mode).HasConversion<string>().HasMaxLength(16);
            r.Property(x => x.Phase).HasConversion<string>().HasMaxLength(16);
            r.Property(x => x.NewDatabase).HasMaxLength(63);
            r.Property(x => x.PreviousDatabase).HasMaxLength(63);
            r.Property(x => x.RequestedBy).HasMaxLength(200);
            r.Property(x => x.Error).HasMaxLength(2000);
            r.Property(x => x.SourceServer).HasMaxLength(63);
            r.Property(x => x.SourceDatabase).HasMaxLength(63);
            r.Property(x => x.SourceRole).HasMaxLength(63);
            r.Property(x => x.WalPosition).HasMaxLength(32);
            AsJsonb(r.Property(x => x.StepsMs));
            r.HasIndex(x => x.TenantId);
            // At most one open restore per tenant: a partial unique index, written in the migration by hand (as for moves).
        });

        modelBuilder.Entity<TenantExport>(e =>
        {
            e.ToTable("tenant_exports");
            e.HasKey(x => x.Id);
            e.Property(x => x.TenantSlug).HasMaxLength(63);
            e.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.BlobName).HasMaxLength(200);
            e.Property(x => x.Sha256).HasMaxLength(64);
            e.Property(x => x.RequestedBy).HasMaxLength(200);
            e.Property(x => x.Error).HasMaxLength(2000);
            e.HasIndex(x => new { x.TenantId, x.State });
        });

        modelBuilder.Entity<BackupPass>(p =>
        {
            p.ToTable("backup_passes");
            p.HasKey(x => x.Id);
            p.Property(x => x.Trigger).HasMaxLength(200);
            p.Property(x => x.Error).HasMaxLength(2000);
            p.HasIndex(x => x.StartedAt);
        });

        modelBuilder.Entity<DataProtectionKey>().ToTable("data_protection_keys");
    }

    /// <summary>
    /// A dictionary as JSON text in a jsonb column (Npgsql serializes dictionaries to jsonb only with dynamic JSON switched on,
    /// globally).
    /// </summary>
    private static void AsJsonb(Microsoft.EntityFrameworkCore.Metadata.Builders.PropertyBuilder<Dictionary<string, long>> property) =>
        property.HasColumnType("jsonb").HasConversion(
            v => System.Text.Json.JsonSerializer.Serialize(v, (System.Text.Json.JsonSerializerOptions?)null),
            v => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, long>>(v, (System.Text.Json.JsonSerializerOptions?)null) ?? new(),
            new Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<Dictionary<string, long>>(
                (a, c) => a!.Count == c!.Count && !a.Except(c).Any(), v => v.Count, v => new Dictionary<string, long>(v)));
}
