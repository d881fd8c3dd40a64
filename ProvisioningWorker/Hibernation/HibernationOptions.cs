namespace TenantAspire.ProvisioningWorker.Hibernation;

public sealed class HibernationOptions
{
    public const string Section = "Hibernation";

    /// <summary>An active tenant whose database ran no transaction for this long is hibernated. Zero turns hibernation off.</summary>
    public TimeSpan IdleAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the monitor reads the tenant databases' transaction counters.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}
