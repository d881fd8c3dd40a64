namespace TenantAspire.ProvisioningWorker.Provisioning;

public sealed class ProvisioningOptions
{
    public const string Section = "Provisioning";

    /// <summary>Operations this instance runs at once.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>How long a claimed operation stays ours; a crashed worker's operation is resumed by another after this.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts before a tenant is marked failed and cleaned up.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Safety net next to LISTEN/NOTIFY: retries that come due and expired leases are picked up at this pace.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Clone tenants from the migrated template database (fast); false migrates every new database from scratch.</summary>
    public bool UseTemplate { get; set; } = true;

    /// <summary>Databases kept cloned ahead of time (0 turns the spare pool off). Each costs an empty database's ~7.5 MB.</summary>
    public int SpareDatabases { get; set; } = 8;

    /// <summary>Test hook: consult Redis keys <c>fault:{slug}:{step}</c> before each step. Never on in production.</summary>
    public bool FaultInjection { get; set; }
}
