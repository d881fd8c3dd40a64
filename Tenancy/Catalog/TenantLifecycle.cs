namespace TenantAspire.Tenancy.Catalog;

/// <summary>What is done to a tenant's status; each has one audit action name.</summary>
public enum TenantAction
{
    /// <summary>Provisioning finished: the database exists, is secured and migrated.</summary>
    Activate,
    FailProvisioning,
    Suspend,
    Resume,
    Hibernate,
    Wake,
    RequestDelete,
    FailDelete,

    /// <summary>A move's cut-over holds the tenant's requests.</summary>
    HoldForCutover,

    /// <summary>A restore's or an undo's swap holds the tenant's requests.</summary>
    HoldForSwap,

    /// <summary>A cut-over or a swap ended (switched, aborted, or let go after a crash): requests are served again.</summary>
    Release,
}

/// <summary>An edge that is not in <see cref="TenantLifecycle.Transitions"/>: the tenant is not in a state that allows it.</summary>
public sealed class TenantTransitionRefusedException(Tenant tenant, TenantAction action)
    : InvalidOperationException($"tenant '{tenant.Slug}' is {TenantLifecycle.Name(tenant.Status)}; {TenantLifecycle.Name(action)} is not allowed from there")
{
    public TenantStatus From { get; } = tenant.Status;
    public TenantAction Action { get; } = action;
}

/// <summary>
/// The one owner of a tenant's status: the allowed transitions as a table, and <see cref="Apply"/>, the only code that changes
/// <see cref="Tenant.Status"/> (the API and every worker handler go through it). Applying checks the edge, stamps the time and adds
/// the audit row to the caller's unit of work; the caller's save is guarded by the row's concurrency token (xmin), so two writers
/// that both saw the same status cannot both move it.
/// </summary>
public static class TenantLifecycle
{
    /// <summary>(from, action) → to. Anything else is refused.</summary>
    public static readonly IReadOnlyDictionary<(TenantStatus From, TenantAction Action), TenantStatus> Transitions = Build();

    private static Dictionary<(TenantStatus, TenantAction), TenantStatus> Build()
    {
        var t = new Dictionary<(TenantStatus, TenantAction), TenantStatus>
        {
            [(TenantStatus.Provisioning, TenantAction.Activate)] = TenantStatus.Active,
            [(TenantStatus.Provisioning, TenantAction.FailProvisioning)] = TenantStatus.Failed,
            [(TenantStatus.Active, TenantAction.Suspend)] = TenantStatus.Suspended,
            [(TenantStatus.Suspended, TenantAction.Resume)] = TenantStatus.Active,
            [(TenantStatus.Active, TenantAction.Hibernate)] = TenantStatus.Hibernated,
            [(TenantStatus.Hibernated, TenantAction.Wake)] = TenantStatus.Active,
            [(TenantStatus.Deleting, TenantAction.FailDelete)] = TenantStatus.Failed,
            [(TenantStatus.Active, TenantAction.HoldForCutover)] = TenantStatus.Moving,
            [(TenantStatus.Active, TenantAction.HoldForSwap)] = TenantStatus.Restoring,
            [(TenantStatus.Moving, TenantAction.Release)] = TenantStatus.Active,
            [(TenantStatus.Restoring, TenantAction.Release)] = TenantStatus.Active,
        };
        // Delete wins over every state but a running cut-over or swap (seconds at most; the caller is told to retry).
        foreach (var from in new[] { TenantStatus.Provisioning, TenantStatus.Active, TenantStatus.Suspended, TenantStatus.Hibernated, TenantStatus.Failed })
        {
            t[(from, TenantAction.RequestDelete)] = TenantStatus.Deleting;
        }
        return t;
    }

    public static bool Allows(TenantStatus from, TenantAction action) => Transitions.ContainsKey((from, action));

    /// <summary>
    /// Moves <paramref name="tenant"/> along the edge (<see cref="TenantTransitionRefusedException"/> if there is none), stamps
    /// <see cref="Tenant.UpdatedAt"/> and adds the audit row. Nothing is saved here.
    /// </summary>
    public static void Apply(CatalogDbContext db, Tenant tenant, TenantAction action, string actor, DateTimeOffset at, string? detail = null)
    {
        if (!Transitions.TryGetValue((tenant.Status, action), out var to))
        {
            throw new TenantTransitionRefusedException(tenant, action);
        }
        tenant.Status = to;
        tenant.UpdatedAt = at;
        db.AuditEvents.Add(Audit.Event(tenant, AuditAction(action), actor, at, detail));
    }

    /// <summary>The audit action an applied transition writes (the names the audit trail has always used).</summary>
    public static string AuditAction(TenantAction action) => action switch
    {
        TenantAction.Activate => "provisioned",
        TenantAction.FailProvisioning => "provision-failed",
        TenantAction.Suspend => "suspended",
        TenantAction.Resume => "resumed",
        TenantAction.Hibernate => "hibernated",
        TenantAction.Wake => "woken",
        TenantAction.RequestDelete => "delete-requested",
        TenantAction.FailDelete => "delete-failed",
        TenantAction.HoldForCutover => "cutover-hold",
        TenantAction.HoldForSwap => "swap-hold",
        TenantAction.Release => "released",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    public static string Name(TenantStatus status) => status.ToString().ToLowerInvariant();

    public static string Name(TenantAction action) => AuditAction(action);
}
