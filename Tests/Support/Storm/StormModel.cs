using System.Collections.Concurrent;

namespace TenantAspire.Storm;

/// <summary>One tenant as the storm knows it: what was acknowledged to it, and what was accepted for it.</summary>
public sealed class StormTenant(string slug, string tier)
{
    public string Slug { get; } = slug;
    public string Tier { get; set; } = tier;
    public Guid Id { get; set; }

    /// <summary>Set once a delete was accepted (202): from then on nothing of it may survive.</summary>
    public bool Deleted { get; set; }

    /// <summary>Acknowledged writes (201 Created): the email and when the acknowledgement arrived.</summary>
    public ConcurrentQueue<(string Email, DateTimeOffset At)> Acknowledged { get; } = new();

    public override string ToString() => $"{Slug} ({Tier}{(Deleted ? ", deleted" : "")})";
}

/// <summary>An admin request of the storm and its answer.</summary>
public sealed record StormStep(int Index, string Action, string Slug, int Replica, int Status, string? Location, DateTimeOffset At);

/// <summary>Everything the storm did and saw; the invariants are checked against it.</summary>
public sealed class StormModel(int seed)
{
    public int Seed { get; } = seed;
    public List<StormTenant> Tenants { get; } = [];
    public ConcurrentQueue<StormStep> Steps { get; } = new();

    /// <summary>Answers that are never acceptable (5xx other than 503), from admin requests and from writers alike.</summary>
    public ConcurrentQueue<string> ServerErrors { get; } = new();
    public int WorkerKills { get; set; }
    private long _writeAttempts;
    public long WriteAttempts => Interlocked.Read(ref _writeAttempts);
    public void CountWrite() => Interlocked.Increment(ref _writeAttempts);

    public IEnumerable<StormStep> Accepted => Steps.Where(s => s.Status == 202);
}
