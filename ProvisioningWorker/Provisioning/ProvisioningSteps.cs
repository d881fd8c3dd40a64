namespace TenantAspire.ProvisioningWorker.Provisioning;

/// <summary>Step names: used in spans, logs, audit details and by the fault-injection hook.</summary>
public static class ProvisioningSteps
{
    public const string Credentials = "credentials";
    public const string CreateRole = "create-role";
    public const string CreateDatabase = "create-database";
    public const string Grants = "grants";
    public const string Migrate = "migrate";
    public const string Activate = "activate";
    public const string DropDatabase = "drop-database";
    public const string DropRole = "drop-role";
    public const string CloseDatabase = "close-database";
    public const string OpenDatabase = "open-database";

    public static readonly string[] Provision = [Credentials, CreateRole, CreateDatabase, Grants, Migrate, Activate];
}
