using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace TenantAspire.TenantApi.Tenants;

/// <summary>
/// Holds a rate-limit refusal for <see cref="TenantRateLimitOptions.RefusalHold"/> before its 429 goes out (a tarpit). A refusal
/// costs the API about 76 µs of CPU (docs/benchmarks.md, *What a refusal costs*) and the caller as much again; a client that
/// retries in a loop without waiting makes thousands a second, and on a small machine that CPU is taken from the other tenants'
/// requests. Held, the same loop makes a few per second per connection, and a held request costs a timer, not CPU. At most
/// <see cref="TenantRateLimitOptions.MaxHeldRefusalsPerTenant"/> per tenant are held at once, so a client with many
/// connections cannot make the API hold an unbounded number. Hand-written: ASP.NET Core's rate limiter either queues a request
/// (and then serves it, which would move the wait into the connection registry) or refuses it at once; it has no delayed refusal.
/// </summary>
public sealed class RefusalHold(IOptions<TenantRateLimitOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<Guid, int> _held = new();

    /// <summary>How long to hold one refusal: the configured hold, at most the Retry-After, none past the tenant's cap.</summary>
    public static TimeSpan For(TimeSpan hold, TimeSpan retryAfter, int alreadyHeld, int maxHeld) =>
        alreadyHeld >= maxHeld || hold <= TimeSpan.Zero || retryAfter <= TimeSpan.Zero ? TimeSpan.Zero
        : retryAfter < hold ? retryAfter : hold;

    /// <summary>Refusals of this tenant being held now.</summary>
    public int Held(Guid tenantId) => _held.TryGetValue(tenantId, out var n) ? n : 0;

    /// <summary>Waits before the refusal is answered; returns early when the client goes away.</summary>
    public async Task HoldAsync(Guid tenantId, TimeSpan retryAfter, CancellationToken ct)
    {
        var o = options.Value;
        var held = _held.AddOrUpdate(tenantId, 1, static (_, n) => n + 1);
        try
        {
            var wait = For(o.RefusalHold, retryAfter, held - 1, o.MaxHeldRefusalsPerTenant);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, clock, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client left: nothing to answer.
        }
        finally
        {
            if (_held.AddOrUpdate(tenantId, 0, static (_, n) => n - 1) == 0)
            {
                _held.TryRemove(new KeyValuePair<Guid, int>(tenantId, 0)); // only if no other refusal came in meanwhile
            }
        }
    }
}
