using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Sql;
using TenantAspire.Tenancy.Telemetry;
using TenantAspire.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TenantAspire.Tests.Reliability;

/// <summary>
/// Fault suite: the worker SIGKILLed again and again while 50 tenants are provisioned. The worker runs as its own process on a
/// catalog of its own (so the stack's workers do not help it), against the suite's real Postgres and Redis.
/// </summary>
[Collection(AspireAppCollection.Name)]
public sealed class WorkerKillTests(AspireAppFixture fixture, ITestOutputHelper output)
{
    private const int Tenants = 50;
    private const int Kills = 8;
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task Killing_the_worker_repeatedly_leaves_every_tenant_active_or_cleanly_failed_with_no_orphan_and_no_stuck_operation()
    {
        var catalogName = $"killtest_{Guid.NewGuid():N}"[..21];
        await using (var server = await _kit.OpenSuperuserAsync())
        await using (var create = new NpgsqlCommand($"CREATE DATABASE {SqlIdentifier.Quote(catalogName)}", server))
        {
            await create.ExecuteNonQueryAsync();
        }
        var catalog = new NpgsqlConnectionStringBuilder(await fixture.ConnectionStringAsync("postgres")) { Database = catalogName }.ConnectionString;
        var environment = new Dictionary<string, string?>(TestServers.Topology(await fixture.ConnectionStringAsync("postgres"), "__"))
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Demo__Seed"] = "false",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["ConnectionStrings__catalog"] = catalog,
            ["ConnectionStrings__redis"] = await fixture.ConnectionStringAsync("redis"),
            ["ConnectionStrings__blobs"] = await fixture.ConnectionStringAsync("blobs"),
            ["Blobs__CaCertificate"] = await fixture.BlobStoreAuthorityAsync(),
            ["Backups__Scheduled"] = "false",
            ["Provisioning__Lease"] = "00:00:02", // a killed holder's operations come back quickly
        };

        var worker = ServiceProcess.Start("ProvisioningWorker", environment);
        await using var db = new CatalogDbContext(new DbContextOptionsBuilder<CatalogDbContext>().UseNpgsql(catalog).UseSnakeCaseNamingConvention().Options);
        await Eventually.TrueAsync(async () => (await db.Database.GetAppliedMigrationsAsync()).Any()
            && !(await db.Database.GetPendingMigrationsAsync()).Any(), TimeSpan.FromSeconds(60), "the worker migrated its catalog");
        var now = DateTimeOffset.UtcNow;
        var slugs = Enumerable.Range(0, Tenants).Select(i => TenantTestKit.NewSlug($"kill{i}")).ToList();
        foreach (var slug in slugs)
        {
            TenantFactory.Request(db, slug, "Kill " + slug, TenantTier.Standard, "postgres", "test", OperationTrace.None, now);
        }
        await db.SaveChangesAsync();
        await db.NotifyWorkersAsync(CancellationToken.None);

        var clock = Stopwatch.StartNew();
        var random = new Random(12345);
        for (var kill = 0; kill < Kills; kill++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1500, 3000))); // start-up takes ~1 s: each life does some work
            worker.Kill();
            worker.Dispose();
            worker = ServiceProcess.Start("ProvisioningWorker", environment);
        }
        using (worker)
        {
            await Eventually.TrueAsync(async () => !await db.Operations.AsNoTracking()
                    .AnyAsync(o => o.State == OperationState.Pending || o.State == OperationState.Running),
                TimeSpan.FromSeconds(120), "every operation finished");
        }
        var settled = clock.Elapsed;

        var tenants = await db.Tenants.AsNoTracking().ToListAsync();
        var operations = await db.Operations.AsNoTracking().ToListAsync();
        var orphans = new List<string>();
        foreach (var tenant in tenants)
        {
            Assert.True(tenant.Status is TenantStatus.Active or TenantStatus.Failed, $"{tenant.Slug} is {tenant.Status}");
            var expectExists = tenant.Status == TenantStatus.Active;
            if (await _kit.DatabaseExistsAsync(tenant.DatabaseName) != expectExists)
            {
                orphans.Add($"{tenant.Slug} ({tenant.Status}): database {(expectExists ? "missing" : "left behind")}");
            }
            if (await _kit.RoleExistsAsync(tenant.RoleName) != expectExists)
            {
                orphans.Add($"{tenant.Slug} ({tenant.Status}): role {(expectExists ? "missing" : "left behind")}");
            }
        }
        Assert.Empty(orphans);
        Assert.All(operations, o => Assert.True(o.State is OperationState.Succeeded or OperationState.Failed, $"{o.Id} {o.State}"));
        var active = tenants.Count(t => t.Status == TenantStatus.Active);
        ReliabilityReport.Row(output, $"| worker SIGKILLed {Kills}× while {Tenants} tenants provision | {active} active, {Tenants - active} failed; " +
            $"max attempts {operations.Max(o => o.Attempts)} | all settled {settled.TotalSeconds:0} s after the first kill loop began | 0 orphans |");
        Assert.Equal(Tenants, tenants.Count);
        Assert.Equal(Tenants, active); // kills are transient faults: with retries, every tenant gets there
    }
}
