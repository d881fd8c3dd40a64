using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>Requests per second per tenant, by tier (<c>RateLimits:Tiers:{tier}</c>): a token bucket refilled every second.</summary>
public sealed class TenantRateLimitOptions
{
    public const string Section = "RateLimits";

    public Dictionary<TenantTier, TierLimit> Tiers { get; set; } = new()
    {
        [TenantTier.Standard] = new() { PermitsPerSecond = 200, Burst = 400 },
        [TenantTier.Premium] = new() { PermitsPerSecond = 1000, Burst = 2000 },
    };

    /// <summary>
    /// How long a refused request is held before its 429 is sent (at most its Retry-After; zero answers at once). A client that
    /// ignores Retry-After and retries in a loop then makes a few refusals per second per connection instead of thousands, and
    /// the CPU they would burn goes to other tenants (docs/reliability.md, hot beside cold). A client that honours Retry-After
    /// (at least 1 s) loses nothing.
    /// </summary>
    public TimeSpan RefusalHold { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Most refusals of one tenant held at once (per process); more are answered at once, so holding stays bounded.</summary>
    public int MaxHeldRefusalsPerTenant { get; set; } = 64;

    public TierLimit For(TenantTier tier) => Tiers.TryGetValue(tier, out var limit) ? limit : Tiers[TenantTier.Standard];

    public sealed class TierLimit
    {
        /// <summary>Sustained requests per second one tenant of this tier may make (per API process).</summary>
        public int PermitsPerSecond { get; set; }

        /// <summary>Requests a tenant may make at once after a quiet spell (the bucket's size).</summary>
        public int Burst { get; set; }
    }
}
