namespace TenantAspire.ProvisioningWorker.Operations;

/// <summary>The worker's one retry schedule: exponential from <c>first</c>, capped (operations, bootstrap, loops).</summary>
public static class Backoff
{
    public static TimeSpan For(int attempt, TimeSpan first, TimeSpan max) =>
        TimeSpan.FromMilliseconds(Math.Min(max.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1))));
}
