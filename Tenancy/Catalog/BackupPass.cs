namespace TenantAspire.Tenancy.Catalog;

/// <summary>
/// A row of <c>backup_passes</c>: one run of the worker's backup scheduler over the fleet (on its interval, or asked for by an
/// admin), with what it decided per tenant, so a pass's cost and the changed-only saving are visible without reading logs.
/// </summary>
public sealed class BackupPass
{
    public Guid Id { get; set; }

    /// <summary><c>schedule</c>, or the admin who asked for the pass.</summary>
    public required string Trigger { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Active tenants looked at.</summary>
    public int Considered { get; set; }
    public int BackedUp { get; set; }

    /// <summary>Due, but no write since their newest backup: not dumped again.</summary>
    public int Unchanged { get; set; }
    public int NotDue { get; set; }
    public int Failed { get; set; }
    public long Bytes { get; set; }
    public string? Error { get; set; }
}
