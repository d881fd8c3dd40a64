using Microsoft.EntityFrameworkCore;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.RequestPath;

/// <summary>
/// What the stale-route retry relies on (TenantApi's StaleRouteRetryFilter): on a real tenant database, reads leave a context's
/// count of completed writes at zero, and every command that may write (SaveChanges, raw SQL) counts.
/// </summary>
[Collection(AspireAppCollection.Name)]
public sealed class WriteCounterTests(AspireAppFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task Reads_are_not_counted_as_writes_and_saves_and_raw_sql_are()
    {
        var slug = await _kit.CreateActiveAsync("wc");
        var (tenant, _) = await _kit.CatalogRowAsync(slug);
        await using var connection = await _kit.OpenSuperuserAsync(tenant.DatabaseName);
        await using var db = new TenantSchema().CreateContext(connection);

        Assert.Equal(0, await db.Users.CountAsync());
        Assert.Empty(await db.CustomFields.AsNoTracking().ToListAsync());
        Assert.Equal(0, db.WritesCompleted);

        var now = DateTimeOffset.UtcNow;
        db.Users.Add(new User { Id = Guid.CreateVersion7(), Email = "counted@example.com", Name = "Counted", CreatedAt = now, UpdatedAt = now });
        await db.SaveChangesAsync();
        Assert.Equal(1, db.WritesCompleted);

        await db.Database.ExecuteSqlRawAsync("UPDATE users SET name = 'Recounted'");
        Assert.Equal(2, db.WritesCompleted);
    }
}
