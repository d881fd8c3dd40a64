using TenantAspire.Tenancy.Telemetry;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Credentials;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.ProvisioningWorker.Demo;

/// <summary>
/// Development only: on a brand-new catalog, asks for tenants <c>acme</c> and <c>globex</c> through the normal provisioning path
/// and, once they are active, gives each a few users, so a newcomer has something to look at. Never runs twice on a catalog.
/// </summary>
public sealed class DemoTenantSeeder(
    IServiceScopeFactory scopes, CatalogMigrationState migrations, ProvisioningReadiness readiness, OperationWakeup wakeup, TenantSchema schema,
    ServerConnections connections, TenantCredentialProtector protector, TimeProvider clock, ILogger<DemoTenantSeeder> logger)
    : BackgroundService
{
    private static readonly (string Slug, string Name, string[] People)[] Demo =
    [
        ("acme", "Acme Corporation", ["Wile E. Coyote", "Road Runner", "Marvin Martian"]),
        ("globex", "Globex Corporation", ["Hank Scorpio", "Homer Simpson", "Frank Grimes"]),
    ];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        await readiness.WaitAsync(stoppingToken); // the servers are bootstrapped and listed: placement can answer
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            // Advisory lock: with several worker instances, one seeds.
            await db.Database.OpenConnectionAsync(stoppingToken);
            if (!await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_lock({AdvisoryLocks.DemoSeed}) AS \"Value\"").SingleAsync(stoppingToken)
                || await db.AuditEvents.AnyAsync(stoppingToken))
            {
                return; // another instance seeds, or this catalog has a history already
            }
            var now = clock.GetUtcNow();
            foreach (var (slug, name, _) in Demo)
            {
                if (ServerPlacement.Choose(TenantTier.Standard, await ServerLoads.ReadAsync(db, stoppingToken)) is not { } server)
                {
                    logger.LogWarning("No open server takes standard tenants: demo tenants not seeded");
                    return;
                }
                // The demo tenants are the canaries: every schema rollout migrates them first.
                TenantFactory.Request(db, slug, name, TenantTier.Standard, server, "demo-seeder", OperationTrace.None, now).IsCanary = true;
            }
            await db.SaveChangesAsync(stoppingToken);
            wakeup.Signal();
            logger.LogInformation("Demo tenants acme and globex requested");
        }
        foreach (var (slug, _, people) in Demo)
        {
            await SeedUsersWhenActiveAsync(slug, people, stoppingToken);
        }
    }

    private async Task SeedUsersWhenActiveAsync(string slug, string[] people, CancellationToken ct)
    {
        for (var i = 0; i < 600; i++)
        {
            await using var scope = scopes.CreateAsyncScope();
            var tenant = await scope.ServiceProvider.GetRequiredService<CatalogDbContext>().Tenants.AsNoTracking()
                .SingleOrDefaultAsync(t => t.Slug == slug, ct);
            if (tenant is null || tenant.Status is TenantStatus.Failed or TenantStatus.Deleting)
            {
                return;
            }
            if (tenant.Status == TenantStatus.Active)
            {
                await using var data = schema.CreateContext(connections.TenantConnectionString(
                    tenant.Server, tenant.DatabaseName, tenant.RoleName, protector.Unprotect(tenant.ProtectedPassword!)),
                    TenantMigrations.HasCustomFields(tenant.SchemaVersion)); // a fleet pinned at an older schema (tests, an old release)
                if (!await data.Users.AnyAsync(ct))
                {
                    var now = clock.GetUtcNow();
                    data.Users.AddRange(people.Select(p => new User
                    {
                        Id = Guid.CreateVersion7(),
                        Name = p,
                        Email = p.ToLowerInvariant().Replace(' ', '.').Replace("..", ".", StringComparison.Ordinal) + $"@{slug}.example",
                        CreatedAt = now,
                        UpdatedAt = now,
                    }));
                    await data.SaveChangesAsync(ct);
                }
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        }
    }
}
