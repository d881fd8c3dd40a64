namespace TenantAspire.ProvisioningWorker.Moves;

/// <summary>Names a move creates on the servers: derived from the move's id, never from input.</summary>
public static class MoveNames
{
    /// <summary>The publication on the source, the subscription on the target, and the replication slot, all alike.</summary>
    public static string Replication(Guid moveId) => "move_" + moveId.ToString("N");

    /// <summary>
    /// A table of the mover's in both databases, published with the tenant's: a token written into it on the source after the
    /// tenant's last write is applied on the target after every earlier commit (logical replication keeps commit order), so its
    /// arrival proves the target has everything. Dropped from the target after the switch.
    /// </summary>
    public const string MarkerTable = "tenantaspire_move_marker";
}
