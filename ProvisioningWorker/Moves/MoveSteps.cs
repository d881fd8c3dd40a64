namespace TenantAspire.ProvisioningWorker.Moves;

/// <summary>Step names of a move (spans and the fault-injection test hook).</summary>
public static class MoveSteps
{
    public const string Copy = "move-copy";
    public const string CatchUp = "move-catch-up";

    /// <summary>Inside the cut-over, while requests are held (a delay here exceeds Moves:MaxPause in tests).</summary>
    public const string Cutover = "move-cutover";
    public const string Tablespace = "move-tablespace";
}
