namespace TenantAspire.ProvisioningWorker.Backups;

/// <summary>Steps with a fault-injection hook (<see cref="FaultInjector"/>, tests only), as in ProvisioningSteps and MoveSteps.</summary>
public static class BackupSteps
{
    /// <summary>After the dump reached the store's staged blocks, before the blob is committed and recorded.</summary>
    public const string Commit = "backup-commit";

    /// <summary>A restore, after the backup was restored and verified, before the swap.</summary>
    public const string Swap = "restore-swap";

    public const string Export = "export-dump";

    /// <summary>A point-in-time restore, once its scratch instance is recovered and running, before the dump from it.</summary>
    public const string Scratch = "restore-scratch";
}
