using Npgsql;

namespace TenantAspire.Tenancy.Connections;

/// <summary>
/// Which database errors mean "not now" rather than "wrong": the server is down or restarting, the tenant's database was closed
/// (hibernated), dropped or its sessions ended under a request (hibernate, delete, move), or a connection broke. The API answers
/// these with 503 + Retry-After; anything else stays a 500, because it is a bug.
/// </summary>
public static class DatabaseUnavailable
{
    /// <summary>The retry hint: long enough for a wake or a server restart to finish, short enough to feel like a blip.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    public static bool Is(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    return IsUnavailableState(pg.SqlState) || IsConnectRefused(pg);
                case NpgsqlException npgsql:
                    return npgsql.IsTransient; // socket errors, timeouts, a connection broken mid-read
                case TimeoutException:
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The tenant's login refused at connect (28P01, or 42501 "permission denied for database"): a route that was stale for a
    /// moment sent it to the server a move has just left, whose copy and role are dropped once the source's grace is over.
    /// Retried, the request reads the route again and reaches the tenant's
    /// database. A 42501 on a table or any other object stays a 500.
    /// </summary>
    private static bool IsConnectRefused(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.InvalidPassword
        || e.SqlState == PostgresErrorCodes.InsufficientPrivilege
        && e.MessageText.StartsWith("permission denied for database", StringComparison.Ordinal);

    public static bool IsUnavailableState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal)             // connection exceptions
        || sqlState.StartsWith("57P", StringComparison.Ordinal)         // admin/crash shutdown, cannot connect now
        || sqlState is PostgresErrorCodes.ObjectNotInPrerequisiteState  // 55000: database does not allow connections (hibernated)
            or PostgresErrorCodes.InvalidCatalogName                    // 3D000: database dropped (deleted, moved)
            or PostgresErrorCodes.TooManyConnections;                   // 53300
}
