using Microsoft.EntityFrameworkCore;
using TenantAspire.Tenancy.CustomFields;

namespace TenantAspire.Tenancy.Data;

/// <summary>The schema inside every tenant database. Its migrations are separate from the catalog's.</summary>
public sealed class TenantDbContext(DbContextOptions<TenantDbContext> options) : DbContext(options)
{
    /// <summary>
    /// False for a tenant still behind <see cref="TenantMigrations.CustomFields"/>: its model has no <c>custom</c> columns and no
    /// definitions, so the endpoints that existed before that migration neither read nor write (nor RETURN) a column it lacks.
    /// Two models, cached apart by <see cref="TenantModelCacheKeyFactory"/>.
    /// </summary>
    public bool WithCustomFields { get; init; } = true;

    /// <summary>Commands other than LINQ queries that EF Core ran to completion on this context (<see cref="CompletedWriteCounter"/>).</summary>
    public int WritesCompleted { get; internal set; }

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
        });
        modelBuilder.Entity<Project>(p =>
        {
            p.ToTable("projects");
            p.HasKey(x => x.Id);
            p.Property(x => x.Name).HasMaxLength(200);
            p.HasOne(x => x.Owner).WithMany().HasForeignKey(x => x.OwnerId).OnDelete(DeleteBehavior.Restrict);
        });
        modelBuilder.Entity<ProjectTask>(t =>
        {
            t.ToTable("tasks");
            t.HasKey(x => x.Id);
            t.Property(x => x.Title).HasMaxLength(500);
            // A project's tasks are listed in creation order (ids are version-7 GUIDs, so id order is creation order).
            t.HasIndex(x => new { x.ProjectId, x.Id });
            t.HasOne(x => x.Project).WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Cascade);
        });
        if (!WithCustomFields)
        {
            modelBuilder.Entity<User>().Ignore(x => x.Custom);
            modelBuilder.Entity<Project>().Ignore(x => x.Custom);
            modelBuilder.Entity<ProjectTask>().Ignore(x => x.Custom);
            modelBuilder.Ignore<CustomFieldDefinition>();
            return;
        }
        Custom(modelBuilder.Entity<User>());
        Custom(modelBuilder.Entity<Project>());
        Custom(modelBuilder.Entity<ProjectTask>());
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

    /// <summary>The entity's <c>custom</c> values (CustomFields migration): NOT NULL, <c>{}</c> when an insert leaves it null.</summary>
    private static void Custom<T>(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<T> entity) where T : class =>
        entity.Property<string?>("Custom").HasColumnType("jsonb").IsRequired().HasDefaultValueSql("'{}'::jsonb");
}

/// <summary>EF Core caches one model per key: the tenant model with and without custom fields are two.</summary>
public sealed class TenantModelCacheKeyFactory : Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        (context.GetType(), (context as TenantDbContext)?.WithCustomFields ?? true, designTime);
}
