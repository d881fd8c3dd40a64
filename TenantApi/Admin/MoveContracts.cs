using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.TenantApi.Admin;

/// <summary>A tenant's move: where from, where to, how far, how long its requests were held.</summary>
public sealed record MoveDto(
    Guid Id, string Tenant, string FromServer, string? FromTablespace, string ToServer, string ToTablespace, MoveMethod Method,
    MovePhase Phase, TenantTier? ToTier, string Reason, string RequestedBy, string? Error, int? PauseMs, DateTimeOffset CreatedAt,
    DateTimeOffset? SwitchedAt, DateTimeOffset? DropSourceAfter, DateTimeOffset? CompletedAt)
{
    public static MoveDto From(TenantMove m) => new(m.Id, m.TenantSlug, m.FromServer, m.FromTablespace, m.ToServer, m.ToTablespace,
        m.Method, m.Phase, m.ToTier, m.Reason, m.RequestedBy, m.Error, m.PauseMs, m.CreatedAt, m.SwitchedAt, m.DropSourceAfter,
        m.CompletedAt);
}

/// <summary>
/// A Postgres server: its tiers, state, room and budget, and what it holds (tenants by status, bytes as last measured, moves off it
/// still under way: a drain's progress), and its newest point-in-time drill (<c>pitrDrill</c>: null before the first).
/// </summary>
public sealed record ServerDto(
    string Name, IReadOnlyList<string> Tiers, ServerState State, int Capacity, int ConnectionBudget, long Bytes, int Tenants,
    IReadOnlyDictionary<string, int> TenantsByStatus, int MovesOpen, DateTimeOffset UpdatedAt, PitrDrillDto? PitrDrill);

/// <summary>A point-in-time drill: when, its outcome (null while one runs), and what it restored and checked.</summary>
public sealed record PitrDrillDto(DateTimeOffset At, DrillOutcome? Outcome, string? Detail)
{
    public static PitrDrillDto? Of(DatabaseServer s) => s.PitrDrilledAt is { } at ? new(at, s.PitrDrillOutcome, s.PitrDrill) : null;
}
