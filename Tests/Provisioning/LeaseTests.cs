using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using TenantAspire.ProvisioningWorker.Operations;
using TenantAspire.ProvisioningWorker.Provisioning;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Sql;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Provisioning;

/// <summary>
/// Worker leases: renewed while a step runs, fenced on every write. The review's data-loss path was a step longer than the lease:
/// a second worker claimed the same operation, hit "already exists", classed it permanent and dropped the tenant's database.
/// </summary>
[Collection(AspireAppCollection.Name)]
public sealed class LeaseTests(AspireAppFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task A_step_slower_than_the_lease_is_not_taken_over_and_the_tenant_ends_active_with_its_database()
    {
        // The fixture's two workers hold leases of AspireAppFixture.WorkerLease (3 s); this step stalls for three leases.
        var slug = TenantTestKit.NewSlug("slow");
        var stall = AspireAppFixture.WorkerLease * 3;
        await _kit.InjectFaultAsync(slug, ProvisioningSteps.Grants, $"delay:{(int)stall.TotalMilliseconds}");
        using (var created = await _kit.CreateAsync(slug))
        {
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }
        await _kit.WaitForStatusAsync(slug, "active", TimeSpan.FromSeconds(60));
        await _kit.InjectFaultAsync(slug, ProvisioningSteps.Grants, null);

        var (tenant, _) = await _kit.CatalogRowAsync(slug);
        Assert.True(await _kit.DatabaseExistsAsync(tenant.DatabaseName));
        Assert.True(await _kit.RoleExistsAsync(tenant.RoleName));
        await using var catalog = await _kit.OpenSuperuserAsync("catalog");
        await using var attempts = new NpgsqlCommand(
            "SELECT attempts, state FROM tenant_operations WHERE tenant_id = $1 AND kind = 'Provision'", catalog);
        attempts.Parameters.Add(new NpgsqlParameter { Value = tenant.Id });
        await using var reader = await attempts.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt32(0)); // renewed: no second worker ever claimed it
        Assert.Equal("Succeeded", reader.GetString(1));
        Assert.Equal(1, (await _kit.AuditAsync(slug)).Count(a => a.Action == "provisioned"));
    }

    [Fact]
    public async Task A_holder_whose_lease_was_taken_over_can_neither_renew_nor_finish_nor_write_the_catalog()
    {
        // A catalog of its own (real Postgres, migrated), so no stack worker claims these rows; a fake clock expires the lease.
        await using var catalog = await PrivateCatalogAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var lease = TimeSpan.FromSeconds(30);
        var tenant = TenantFactory.Request(catalog.Db, TenantTestKit.NewSlug("fence"), "Fence", TenantTier.Standard, "postgres",
            "test", TenantAspire.Tenancy.Telemetry.OperationTrace.None, clock.GetUtcNow());
        await catalog.Db.SaveChangesAsync();

        var first = await new OperationQueue(catalog.Db, clock).TryClaimAsync("worker-a", lease, CancellationToken.None);
        Assert.NotNull(first);
        Assert.Null(await new OperationQueue(catalog.Db, clock).TryClaimAsync("worker-b", lease, CancellationToken.None)); // held

        clock.Advance(lease + TimeSpan.FromSeconds(1)); // worker A stalls past its lease
        await using var second = await PrivateCatalogAsync(catalog.Name);
        var takenOver = await new OperationQueue(second.Db, clock).TryClaimAsync("worker-b", lease, CancellationToken.None);
        Assert.NotNull(takenOver);
        Assert.Equal(first!.Id, takenOver!.Id);
        Assert.NotEqual(first.LeasedBy, takenOver.LeasedBy);

        var staleQueue = new OperationQueue(catalog.Db, clock);
        Assert.False(await staleQueue.RenewAsync(first, lease, CancellationToken.None));
        Assert.False(await staleQueue.CompleteAsync(first, CancellationToken.None));
        Assert.False(await staleQueue.FailAsync(first, "stale", CancellationToken.None));

        var staleLease = new OperationLease(catalog.Db, staleQueue, Options.Create(new ProvisioningOptions { Lease = lease }));
        staleLease.Hold(first);
        var row = await catalog.Db.Tenants.SingleAsync(t => t.Id == tenant.Id);
        row.Status = TenantStatus.Failed; // what a stale clean-up would write
        await Assert.ThrowsAsync<LeaseLostException>(() => staleLease.SaveChangesAsync(CancellationToken.None));
        await Assert.ThrowsAsync<LeaseLostException>(() => staleLease.EnsureHeldAsync(CancellationToken.None));

        Assert.True(await new OperationQueue(second.Db, clock).CompleteAsync(takenOver, CancellationToken.None));
        second.Db.ChangeTracker.Clear();
        Assert.Equal(TenantStatus.Provisioning, (await second.Db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenant.Id)).Status);
        var final = await second.Db.Operations.AsNoTracking().SingleAsync(o => o.Id == first.Id);
        Assert.Equal(OperationState.Succeeded, final.State);
        Assert.Equal(2, final.Attempts);
    }

    private sealed class PrivateCatalog(string name, CatalogDbContext db) : IAsyncDisposable
    {
        public string Name { get; } = name;
        public CatalogDbContext Db { get; } = db;
        public ValueTask DisposeAsync() => Db.DisposeAsync();
    }

    private async Task<PrivateCatalog> PrivateCatalogAsync(string? existing = null)
    {
        var name = existing ?? $"lease_test_{Guid.NewGuid():N}"[..24];
        if (existing is null)
        {
            await using var server = await _kit.OpenSuperuserAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {SqlIdentifier.Quote(name)}", server);
            await create.ExecuteNonQueryAsync();
        }
        var connection = new NpgsqlConnectionStringBuilder(await fixture.ConnectionStringAsync("postgres")) { Database = name }.ConnectionString;
        var db = new CatalogDbContext(new DbContextOptionsBuilder<CatalogDbContext>().UseNpgsql(connection).UseSnakeCaseNamingConvention().Options);
        if (existing is null)
        {
            await db.Database.MigrateAsync();
        }
        return new PrivateCatalog(name, db);
    }
}
