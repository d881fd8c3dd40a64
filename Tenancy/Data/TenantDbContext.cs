using Microsoft.EntityFrameworkCore;
using TenantAspire.Tenancy.CustomFields;

namespace TenantAspire.Tenancy.Data;

/// <summary>The schema inside every tenant database. Its migrations are separate from the catalog's.</summary>
public sealed class TenantDbContext(DbContextOptions<TenantDbContext> options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<ProjectTask> Tasks => Set<ProjectTask>();
    public DbSet<CustomFieldDefinition> CustomFields => Set<CustomFieldDefinition>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<User>(u =>
        {
            u.ToTable("users");
            u.HasKey(x => x.Id);
            u.Property(x => x.Email).HasMaxLength(320);
            // Emails are stored lower-cased (see the users API), so this makes them unique per tenant regardless of case.
            u.HasIndex(x => x.Email).IsUnique();
            u.Property(x => x.Name).HasMaxLength(200);
            Custom(u);
        });
        modelBuilder.Entity<Project>(p =>
        {
            p.ToTable("projects");
            p.HasKey(x => x.Id);
            p.Property(x => x.Name).HasMaxLength(200);
            p.HasOne(x => x.Owner).WithMany().HasForeignKey(x => x.OwnerId).OnDelete(DeleteBehavior.Restrict);
            Custom(p);
        });
        modelBuilder.Entity<ProjectTask>(t =>
        {
            t.ToTable("tasks");
            t.HasKey(x => x.Id);
            t.Property(x => x.Title).HasMaxLength(500);
            // A project's tasks are listed in creation order (ids are version-7 GUIDs, so id order is creation order).
            t.HasIndex(x => new { x.ProjectId, x.Id });
            t.HasOne(x => x.Project).WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Cascade);
            Custom(t);
        });
        modelBuilder.Entity<CustomFieldDefinition>(f =>
        {
            f.ToTable("custom_fields");
            f.HasKey(x => new { x.Entity, x.Name });
            f.Property(x => x.Entity).HasConversion<string>().HasMaxLength(16);
            f.Property(x => x.Name).HasMaxLength(CustomFieldRules.MaxNameLength);
            f.Property(x => x.Type).HasConversion<string>().HasMaxLength(16);
            f.Property(x => x.Description).HasMaxLength(CustomFieldRules.MaxDescriptionLength);
            f.Property(x => x.IndexState).HasConversion<string>().HasMaxLength(16);
            f.Property(x => x.IndexError).HasMaxLength(1000);
        });
    }

    /// <summary>
    /// The entity's <c>custom</c> values (CustomFields migration): NOT NULL with a default, so an insert that leaves it null
    /// (every insert on a tenant still behind that migration) omits the column and the old schema still serves the endpoint.
    /// </summary>
    private static void Custom<T>(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<T> entity) where T : class =>
        entity.Property<string?>("Custom").HasColumnType("jsonb").IsRequired().HasDefaultValueSql("'{}'::jsonb");
}
