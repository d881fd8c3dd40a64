using Microsoft.EntityFrameworkCore;

namespace TenantAspire.Tenancy.Catalog;

public static class CatalogTransactions
{
    /// <summary>
    /// Runs <paramref name="work"/> in one catalog transaction inside the context's execution strategy (Aspire's EF Core integration
    /// retries transient errors, and a user transaction must be one retriable unit). Each try starts from an empty change tracker,
    /// so a retry never saves what the failed try added. The transaction commits when <paramref name="work"/> returns.
    /// <paramref name="isolation"/>: the server's default (read committed) unless given (repeatable read: reads in one snapshot).
    /// </summary>
    public static Task<T> InTransactionAsync<T>(this CatalogDbContext db, Func<CancellationToken, Task<T>> work, CancellationToken ct,
        System.Data.IsolationLevel? isolation = null) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            db.ChangeTracker.Clear();
            await using var tx = isolation is { } level
                ? await db.Database.BeginTransactionAsync(level, token)
                : await db.Database.BeginTransactionAsync(token);
            var result = await work(token);
            await tx.CommitAsync(token);
            return result;
        }, ct);
}
