namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>Requests to run a backup pass now (the admin API's <c>POST /api/backups/passes</c>), with who asked.</summary>
public sealed class BackupPassRequests : PassRequests;
