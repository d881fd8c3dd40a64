namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>How often a tier's tenants are backed up, and how long their backups are kept.</summary>
public sealed class BackupTierPolicy
{
    /// <summary>The longest a tenant's writes wait for a backup (its RPO), when it wrote anything.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Newest backups kept per tenant, whatever their age.</summary>
    public int Keep { get; set; } = 7;

    /// <summary>Older backups are deleted, beyond <see cref="Keep"/> (the newest one is always kept).</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>Section <c>Backups</c>: the schedule per tier, the store's clean-up, restores' undo window and drills.</summary>
public sealed class BackupOptions
{
    public const string Section = "Backups";

    /// <summary>Scheduled backups on (an admin's backup, restores and exports work either way).</summary>
    public bool Scheduled { get; set; } = true;

    /// <summary>Policy per tier name (Standard, Premium); a tier without one gets the defaults of <see cref="BackupTierPolicy"/>.</summary>
    public Dictionary<string, BackupTierPolicy> Tiers { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Standard"] = new() { Interval = TimeSpan.FromHours(24), Keep = 7, MaxAge = TimeSpan.FromDays(30) },
        ["Premium"] = new() { Interval = TimeSpan.FromMinutes(15), Keep = 96, MaxAge = TimeSpan.FromDays(7) },
    };

    /// <summary>How often the scheduler looks for tenants due (a pass does nothing for tenants not due).</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Dumps at once per pass: pg_dump is a process and a server backend each.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>A deleted tenant's backups are kept this long (a mistaken delete can be restored as a sibling), then purged.</summary>
    public TimeSpan DeletedTenantGrace { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a restore's replaced database is kept closed for an undo.</summary>
    public TimeSpan UndoWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often a drill pass runs; zero turns drills off.</summary>
    public TimeSpan DrillInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Backups restored per drill pass (the tenants whose newest backup was drilled longest ago first).</summary>
    public int DrillsPerPass { get; set; } = 3;

    /// <summary>How long an export can be downloaded; then its blob is deleted.</summary>
    public TimeSpan ExportExpiry { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Where pg_dump and pg_restore are (the worker's image must have them; the API's needs none).</summary>
    public string PgBin { get; set; } = "/usr/lib/postgresql/15/bin";

    public BackupTierPolicy For(Tenancy.Catalog.TenantTier tier) => Tiers.TryGetValue(tier.ToString(), out var policy) ? policy : new();
}
