using Microsoft.EntityFrameworkCore;

namespace TenantAspire.Tenancy.Data;

/// <summary>The schema inside every tenant database. Its migrations are separate from the catalog's.</summary>
public sealed class TenantDbContext(DbContextOptions<TenantDbContext> options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<ProjectTask> Tasks => Set<ProjectTask>();

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
    }
}
