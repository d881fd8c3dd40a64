using Microsoft.Extensions.Time.Testing;
using TenantAspire.Tenancy.Connections;

namespace TenantAspire.Tests.Unit;

/// <summary>
/// The registry's admission policy alone, with a fake clock, on the traffic shapes that break plain LRU: cyclic access over more
/// tenants than places, Zipf, a burst of one-off tenants; plus aging (a shift in who is busy) and idle expiry.
/// </summary>
public sealed class AdmissionPolicyTests
{
    private const int Places = 40;
    private static readonly RegistryOptions Options = new() { ConnectionBudget = Places };
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private static readonly Guid[] Tenants = [.. Enumerable.Range(0, 3000).Select(i => new Guid(i, 0, 0, new byte[8]))];

    /// <summary>The pool's use of the policy, every resident idle between requests: a hit, a free place, or a victim to replace.</summary>
    private sealed class Simulation(AdmissionPolicy policy, int places)
    {
        public int Hits { get; private set; }
        public int Accesses { get; private set; }
        public double HitRatio => (double)Hits / Accesses;

        public void Access(Guid tenant)
        {
            Accesses++;
            var frequency = policy.RecordAccess(tenant);
            if (policy.IsResident(tenant))
            {
                Hits++;
                policy.Touch(tenant);
                policy.Released(tenant);
            }
            else if (policy.Residents < places)
            {
                policy.Admit(tenant);
            }
            else if (policy.ChooseVictim(frequency, _ => true) is { } victim)
            {
                policy.Remove(victim);
                policy.Admit(tenant);
            }
        }

        public void Reset() => Hits = Accesses = 0;
    }

    private AdmissionPolicy NewPolicy() => AdmissionPolicy.For(Options, _clock);

    [Fact]
    public void Cyclic_access_over_more_tenants_than_places_keeps_most_of_them_warm()
    {
        // 50 tenants in a loop through 40 places: LRU evicts exactly the tenant asked for next and never hits.
        var sim = new Simulation(NewPolicy(), Places);
        for (var i = 0; i < 50 * 200; i++)
        {
            sim.Access(Tenants[i % 50]);
        }
        Assert.True(sim.HitRatio >= 0.75, $"hit ratio {sim.HitRatio:P1} (ideal 80 %)");
    }

    [Fact]
    public void Zipf_traffic_over_1000_tenants_comes_close_to_the_ideal_frequency_cache()
    {
        var zipf = new Zipf(1000, seed: 1);
        var sim = new Simulation(NewPolicy(), Places);
        for (var i = 0; i < 20_000; i++)
        {
            sim.Access(Tenants[zipf.Next()]); // warm-up, as the benchmark's
        }
        sim.Reset();
        for (var i = 0; i < 100_000; i++)
        {
            sim.Access(Tenants[zipf.Next()]);
        }
        var ideal = zipf.TopShare(Places);
        Assert.True(sim.HitRatio >= 0.9 * ideal, $"hit ratio {sim.HitRatio:P1}, ideal {ideal:P1}");
    }

    [Fact]
    public void A_burst_of_one_off_tenants_does_not_flush_the_warm_ones()
    {
        var policy = NewPolicy();
        var sim = new Simulation(policy, Places);
        for (var i = 0; i < Places * 20; i++)
        {
            sim.Access(Tenants[i % Places]);
        }
        foreach (var oneOff in Tenants.Skip(1000).Take(2000))
        {
            sim.Access(oneOff);
        }
        Assert.All(Tenants.Take(Places), warm => Assert.True(policy.IsResident(warm)));
        Assert.Equal(Places, policy.Residents);
    }

    [Fact]
    public void Aging_lets_a_new_busy_set_take_over_within_two_aging_periods()
    {
        var policy = NewPolicy();
        var sim = new Simulation(policy, Places);
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            sim.Access(Tenants[random.Next(Places)]); // yesterday's busy set
        }
        var yesterday = policy.FrequencyOf(Tenants[0]);
        var agingPeriod = Places * Options.AgingAccessesPerSlot;
        var accesses = 0;
        while (Tenants.Skip(100).Take(Places).Count(policy.IsResident) < Places * 9 / 10)
        {
            sim.Access(Tenants[100 + random.Next(Places)]); // today's
            Assert.True(++accesses <= 2 * agingPeriod, "today's busy tenants never took over");
        }
        Assert.True(policy.FrequencyOf(Tenants[0]) <= yesterday / 2, $"yesterday's counts did not cool down: {yesterday} → {policy.FrequencyOf(Tenants[0])}");
    }

    [Fact]
    public void A_newcomer_takes_a_place_only_from_a_less_popular_idle_resident()
    {
        var policy = new AdmissionPolicy(agingPeriod: 1000, evictionSample: 2, _clock);
        var (old, busy, popular, newcomer) = (Tenants[0], Tenants[1], Tenants[2], Tenants[3]);
        foreach (var (tenant, times) in new[] { (old, 3), (busy, 1), (popular, 5) })
        {
            for (var i = 0; i < times; i++)
            {
                policy.RecordAccess(tenant);
            }
            policy.Admit(tenant); // recency: popular (newest), busy, old (oldest)
        }
        bool Idle(Guid t) => t != busy;
        Assert.Null(policy.ChooseVictim(newcomerFrequency: 3, Idle)); // a tie keeps the resident
        Assert.Equal(old, policy.ChooseVictim(newcomerFrequency: 4, Idle)); // busy is skipped though least frequent
        policy.Touch(old); // the sample (the two least recent idle) is still {popular, old}: old stays the least frequent
        Assert.Equal(old, policy.ChooseVictim(4, Idle));
        Assert.Null(policy.ChooseVictim(10, _ => false)); // nothing idle: nobody is admitted
    }

    [Fact]
    public void Idle_residents_expire_after_the_idle_timeout_counted_from_their_last_release()
    {
        var policy = NewPolicy();
        var (a, b, busy) = (Tenants[0], Tenants[1], Tenants[2]);
        policy.Admit(a);
        policy.Admit(b);
        policy.Admit(busy);
        _clock.Advance(TimeSpan.FromMinutes(1));
        policy.Touch(b);
        policy.Released(b);
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([a], policy.Expired(TimeSpan.FromMinutes(2), t => t != busy));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([a, b], policy.Expired(TimeSpan.FromMinutes(2), t => t != busy).Order());
    }

    /// <summary>Zipf(1) over ranks 0..n-1, seeded: the same sequence every run.</summary>
    private sealed class Zipf
    {
        private readonly double[] _cdf;
        private readonly Random _random;

        public Zipf(int n, int seed)
        {
            _random = new Random(seed);
            _cdf = new double[n];
            double sum = 0;
            for (var i = 0; i < n; i++)
            {
                _cdf[i] = sum += 1.0 / (i + 1);
            }
            for (var i = 0; i < n; i++)
            {
                _cdf[i] /= sum;
            }
        }

        public int Next()
        {
            var index = Array.BinarySearch(_cdf, _random.NextDouble());
            return Math.Min(index < 0 ? ~index : index, _cdf.Length - 1);
        }

        public double TopShare(int places) => _cdf[places - 1];
    }
}
