using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Apis;

/// <summary>
/// Handlers check before they write (the owner exists, the row exists, no project is owned), but another request can change the
/// tenant's data between the check and the write. The database's constraints catch that; this maps what they say to the answer
/// the check would have given (404 or 409), never a 500.
/// </summary>
public static class WriteRaces
{
    public sealed record Answers(string Missing, string? Duplicate = null, string? ReferenceBroken = null);

    /// <summary>Runs a write; null when it succeeded, else the problem for the race it lost.</summary>
    public static async Task<ProblemHttpResult?> TryAsync(Func<Task> write, Answers answers)
    {
        try
        {
            await write();
            return null;
        }
        catch (DbUpdateConcurrencyException)
        {
            return NotFound(answers.Missing); // the row an UPDATE expected was deleted meanwhile
        }
        catch (Exception e) when (Postgres(e) is { } pg && Map(pg, answers) is { } problem)
        {
            return problem;
        }
    }

    private static PostgresException? Postgres(Exception e) => e as PostgresException ?? e.InnerException as PostgresException;

    private static ProblemHttpResult? Map(PostgresException e, Answers answers) => e.SqlState switch
    {
        PostgresErrorCodes.UniqueViolation when answers.Duplicate is not null => Conflict(answers.Duplicate),
        PostgresErrorCodes.ForeignKeyViolation when answers.ReferenceBroken is not null => Conflict(answers.ReferenceBroken),
        _ => null,
    };
}
