using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace TenantAspire.Tenancy.Data;

/// <summary>
/// Counts the commands that may have written and completed on each <see cref="TenantDbContext"/>
/// (<see cref="TenantDbContext.WritesCompleted"/>): every command but a LINQ query (SaveChanges, raw SQL, bulk updates). A
/// request whose tenant connection failed before any such command completed changed nothing in the tenant's database (its
/// reads changed nothing, and a failed statement is rolled back with itself), so the request edge may serve it again on a
/// fresher route (a replica that had not yet heard of a move, a hibernation or a swap).
/// </summary>
internal sealed class CompletedWriteCounter : DbCommandInterceptor
{
    public static readonly CompletedWriteCounter Instance = new();

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result) =>
        Count(eventData, result);

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default) => ValueTask.FromResult(Count(eventData, result));

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result) => Count(eventData, result);

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result,
        CancellationToken cancellationToken = default) => ValueTask.FromResult(Count(eventData, result));

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result) => Count(eventData, result);

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result,
        CancellationToken cancellationToken = default) => ValueTask.FromResult(Count(eventData, result));

    private static T Count<T>(CommandExecutedEventData eventData, T result)
    {
        if (eventData.Context is TenantDbContext context && eventData.CommandSource != CommandSource.LinqQuery)
        {
            context.WritesCompleted++;
        }
        return result;
    }
}
