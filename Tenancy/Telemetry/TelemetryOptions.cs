namespace TenantAspire.Tenancy.Telemetry;

public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>
    /// Distinct <c>tenant.id</c> values one process puts on metrics; later tenants are reported as <c>other</c>. Each value
    /// multiplies every tenant-tagged series (request duration × routes × status codes, db duration, sizes), so keep it to the
    /// tenants an SRE wants to tell apart on a chart. Traces and logs always carry the exact tenant.
    /// </summary>
    public int MaxTenantTagValues { get; set; } = 100;

    /// <summary>How often the provisioning worker measures tenant databases' sizes (pg_database_size) where they may have changed.</summary>
    public TimeSpan DatabaseSizeInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The oldest a tenant database's size reading may get when nothing was written there (a pass measures only databases with
    /// writes since their reading, plus a share of the stale ones; DDL and vacuum change a size without writes).
    /// </summary>
    public TimeSpan DatabaseSizeRefresh { get; set; } = TimeSpan.FromHours(1);
}
