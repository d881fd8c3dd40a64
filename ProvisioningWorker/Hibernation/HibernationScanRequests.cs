namespace TenantAspire.ProvisioningWorker.Hibernation;

/// <summary>Requests to scan for idle tenants now (from the admin API, e.g. the dashboard's command), with who asked.</summary>
public sealed class HibernationScanRequests : PassRequests;
