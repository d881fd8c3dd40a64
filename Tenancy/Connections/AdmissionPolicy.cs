namespace TenantAspire.Tenancy.Connections;

/// <summary>
/// Who holds a place in one server's main region, and who gives it up: TinyLFU's rule over recent access frequencies
/// (<see cref="AccessFrequency"/>). A newcomer takes the place of a resident only if it was asked for more often lately than the
/// least frequently used of the least recently used few idle residents; otherwise it is not admitted (the pool serves it from
/// the admission window). So a burst of one-off tenants cannot flush the warm ones, which plain LRU does on Zipf and cyclic
/// traffic. Residents unused for the idle timeout expire.
/// Pure decisions over frequencies, recency and a clock: it holds no connection, slot or data source (those are
/// <see cref="ServerConnectionPool"/>'s), and is told which residents are idle (nothing in flight) when it must choose. Not
/// thread-safe: the pool calls it under its lock. Hand-written: caches that implement W-TinyLFU (Caffeine, BitFaster) own their
/// entries' lifetime, while a data source must not be evicted while a request holds one of its connections.
/// </summary>
public sealed class AdmissionPolicy
{
    private readonly AccessFrequency _frequency;
    private readonly LinkedList<Guid> _recency = []; // residents, most recently used first
    private readonly Dictionary<Guid, Resident> _residents = [];
    private readonly TimeProvider _clock;
    private readonly int _sample;

    /// <param name="agingPeriod">Accesses between two halvings of every frequency (how fast yesterday's hot tenant cools down).</param>
    /// <param name="evictionSample">How many of the least recently used idle residents are compared by frequency for a victim.</param>
    public AdmissionPolicy(int agingPeriod, int evictionSample, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(agingPeriod, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(evictionSample, 1);
        _frequency = new AccessFrequency(agingPeriod);
        _sample = evictionSample;
        _clock = clock;
    }

    /// <summary>The policy a server's pool uses, sized from its options (see <see cref="RegistryOptions.AgingAccessesPerSlot"/>).</summary>
    public static AdmissionPolicy For(RegistryOptions options, TimeProvider clock) =>
        new(Math.Max(1000, options.ConnectionBudget * options.AgingAccessesPerSlot), options.EvictionSample, clock);

    public int Residents => _residents.Count;

    public bool IsResident(Guid tenant) => _residents.ContainsKey(tenant);

    public int FrequencyOf(Guid tenant) => _frequency.Of(tenant);

    /// <summary>Counts one request of the tenant (resident or not); returns its frequency now, the admission signal.</summary>
    public int RecordAccess(Guid tenant) => _frequency.Increment(tenant);

    /// <summary>The tenant now holds a place, as the most recently used.</summary>
    public void Admit(Guid tenant)
    {
        if (!_residents.ContainsKey(tenant))
        {
            _residents.Add(tenant, new Resident(_recency.AddFirst(tenant)) { LastUsed = _clock.GetUtcNow() });
        }
    }

    /// <summary>A resident was used now (a request took one of its connections): most recently used.</summary>
    public void Touch(Guid tenant)
    {
        if (_residents.TryGetValue(tenant, out var resident))
        {
            _recency.Remove(resident.Node);
            _recency.AddFirst(resident.Node);
            resident.LastUsed = _clock.GetUtcNow();
        }
    }

    /// <summary>A resident's request ended now: its idle time counts from here (its recency is that of the request's start).</summary>
    public void Released(Guid tenant)
    {
        if (_residents.TryGetValue(tenant, out var resident))
        {
            resident.LastUsed = _clock.GetUtcNow();
        }
    }

    public void Remove(Guid tenant)
    {
        if (_residents.Remove(tenant, out var resident))
        {
            _recency.Remove(resident.Node);
        }
    }

    /// <summary>
    /// The resident whose place a newcomer asked for <paramref name="newcomerFrequency"/> times may take: the least frequently used
    /// among the <c>evictionSample</c> least recently used idle residents, if the newcomer was asked for more often. Null: the
    /// newcomer is not admitted (nothing idle, or every idle candidate is at least as popular). The caller removes the victim.
    /// </summary>
    public Guid? ChooseVictim(int newcomerFrequency, Func<Guid, bool> isIdle)
    {
        Guid? victim = null;
        var victimFrequency = int.MaxValue;
        var sampled = 0;
        for (var node = _recency.Last; node is not null && sampled < _sample; node = node.Previous)
        {
            if (!isIdle(node.Value))
            {
                continue;
            }
            sampled++;
            var frequency = _frequency.Of(node.Value);
            if (frequency < victimFrequency)
            {
                (victim, victimFrequency) = (node.Value, frequency);
            }
        }
        return victim is not null && victimFrequency < newcomerFrequency ? victim : null;
    }

    /// <summary>Idle residents unused for at least <paramref name="idleTimeout"/>: their places expire (the caller removes them).</summary>
    public List<Guid> Expired(TimeSpan idleTimeout, Func<Guid, bool> isIdle)
    {
        var cutoff = _clock.GetUtcNow() - idleTimeout;
        return [.. _residents.Where(r => r.Value.LastUsed <= cutoff && isIdle(r.Key)).Select(r => r.Key)];
    }

    public void Clear()
    {
        _residents.Clear();
        _recency.Clear();
    }

    private sealed class Resident(LinkedListNode<Guid> node)
    {
        public LinkedListNode<Guid> Node { get; } = node;
        public DateTimeOffset LastUsed { get; set; }
    }
}
