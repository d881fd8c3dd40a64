using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TenantAspire.TenantApi.Apis;

namespace TenantAspire.Tests.Unit;

/// <summary>
/// A row changed by another request between a handler's check and its write: the constraint Postgres raised becomes the answer
/// the check would have given. (The interleaving itself cannot be forced over HTTP; the errors below are the ones Postgres and EF
/// Core raise in it: 23503, 23505, and an UPDATE that matched no row.)
/// </summary>
public sealed class WriteRacesTests
{
    private static readonly WriteRaces.Answers Answers = new("No user.", "Duplicate email.", "User owns projects.");

    private static PostgresException Postgres(string sqlState) => new("constraint", "ERROR", "ERROR", sqlState);

    [Fact]
    public async Task A_foreign_key_broken_meanwhile_is_a_409()
    {
        var problem = await WriteRaces.TryAsync(() => throw new DbUpdateException("save", Postgres(PostgresErrorCodes.ForeignKeyViolation)), Answers);
        Assert.Equal(409, problem!.StatusCode);
        Assert.Equal("User owns projects.", problem.ProblemDetails.Detail);
    }

    [Fact]
    public async Task A_delete_that_breaks_a_foreign_key_is_a_409_too() =>
        Assert.Equal(409, (await WriteRaces.TryAsync(() => throw Postgres(PostgresErrorCodes.ForeignKeyViolation), Answers))!.StatusCode);

    [Fact]
    public async Task A_duplicate_is_a_409_and_a_row_deleted_meanwhile_a_404()
    {
        Assert.Equal(409, (await WriteRaces.TryAsync(() => throw new DbUpdateException("save", Postgres(PostgresErrorCodes.UniqueViolation)), Answers))!.StatusCode);
        Assert.Equal(404, (await WriteRaces.TryAsync(() => throw new DbUpdateConcurrencyException("0 rows"), Answers))!.StatusCode);
    }

    [Fact]
    public async Task A_write_that_succeeds_is_no_problem_and_anything_else_still_throws()
    {
        Assert.Null(await WriteRaces.TryAsync(() => Task.CompletedTask, Answers));
        await Assert.ThrowsAsync<PostgresException>(() => WriteRaces.TryAsync(() => throw Postgres("42601"), Answers));
        // No duplicate answer given (projects): a unique violation is not this handler's race, and is not hidden.
        await Assert.ThrowsAsync<DbUpdateException>(() => WriteRaces.TryAsync(
            () => throw new DbUpdateException("save", Postgres(PostgresErrorCodes.UniqueViolation)), new WriteRaces.Answers("No project.")));
    }
}
