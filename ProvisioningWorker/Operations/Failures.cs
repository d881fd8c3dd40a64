using Npgsql;

namespace TenantAspire.ProvisioningWorker.Operations;

/// <summary>The one policy on whether a failed step is worth retrying, for operations and rollouts alike, and how it is reported.</summary>
public static class Failures
{
    /// <summary>
    /// Errors that no retry can fix: bad SQL, permissions, data errors, or an injected permanent fault. A duplicate object is not
    /// one of them: it means another attempt (or holder) created it first, and giving up would drop what that attempt built.
    /// Lock and statement timeouts, a busy tenant, a dropped connection: all worth another try.
    /// </summary>
    public static bool IsPermanent(Exception e) => e switch
    {
        InjectedFaultException injected => injected.Permanent,
        Backups.BackupUnusableException => true, // a corrupt or missing backup stays so
        TenantAspire.Tenancy.Catalog.TenantTransitionRefusedException => true, // e.g. deleted meanwhile: the state will not come back
        PostgresException pg when RaceErrors.IsDuplicate(pg) => false,
        DbUpdateException { InnerException: PostgresException inner } => IsPermanent(inner),
        PostgresException pg => pg.SqlState.StartsWith("42", StringComparison.Ordinal)
                                || pg.SqlState.StartsWith("22", StringComparison.Ordinal),
        _ => false,
    };

    // Messages only: a PostgresException's message never carries the statement text (and so never a password).
    public static string Describe(Exception e) => e switch
    {
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
        DbUpdateException { InnerException: { } inner } and not DbUpdateConcurrencyException => Describe(inner), // EF's own message says nothing
        _ => e.Message,
    };
}
