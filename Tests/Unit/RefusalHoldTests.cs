using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TenantAspire.TenantApi.Tenants;

namespace TenantAspire.Tests.Unit;

/// <summary>A refused request is held before its 429, never past its Retry-After or the tenant's cap (fake clock).</summary>
public sealed class RefusalHoldTests
{
    private static readonly TimeSpan Hold = TimeSpan.FromMilliseconds(200);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));
    private readonly Guid _tenant = Guid.NewGuid();

    [Theory]
    [InlineData(200, 900, 0, 64, 200)] // the configured hold
    [InlineData(200, 50, 0, 64, 50)] // never past the Retry-After: the next token comes sooner
    [InlineData(200, 900, 64, 64, 0)] // the tenant's cap reached: answered at once
    [InlineData(0, 900, 0, 64, 0)] // holding turned off
    [InlineData(200, 0, 0, 64, 0)]
    public void The_hold_is_the_configured_one_bounded_by_Retry_After_and_the_cap(int holdMs, int retryAfterMs, int held, int max, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs),
            RefusalHold.For(TimeSpan.FromMilliseconds(holdMs), TimeSpan.FromMilliseconds(retryAfterMs), held, max));

    [Fact]
    public async Task A_refusal_is_answered_when_the_hold_ends_and_is_no_longer_counted()
    {
        var hold = Create(maxHeld: 64);
        var held = hold.HoldAsync(_tenant, TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.False(held.IsCompleted);
        Assert.Equal(1, hold.Held(_tenant));
        _clock.Advance(Hold - TimeSpan.FromMilliseconds(1));
        Assert.False(held.IsCompleted);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await held.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, hold.Held(_tenant));
    }

    [Fact]
    public async Task Past_the_cap_a_refusal_is_answered_at_once_and_other_tenants_still_held()
    {
        var hold = Create(maxHeld: 2);
        var first = hold.HoldAsync(_tenant, TimeSpan.FromSeconds(1), CancellationToken.None);
        var second = hold.HoldAsync(_tenant, TimeSpan.FromSeconds(1), CancellationToken.None);
        var third = hold.HoldAsync(_tenant, TimeSpan.FromSeconds(1), CancellationToken.None);
        var otherTenant = hold.HoldAsync(Guid.NewGuid(), TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.True(third.IsCompletedSuccessfully);
        Assert.False(first.IsCompleted || second.IsCompleted || otherTenant.IsCompleted);
        _clock.Advance(Hold);
        await Task.WhenAll(first, second, otherTenant).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, hold.Held(_tenant));
    }

    [Fact]
    public async Task A_client_that_goes_away_ends_its_hold_at_once()
    {
        var hold = Create(maxHeld: 64);
        using var gone = new CancellationTokenSource();
        var held = hold.HoldAsync(_tenant, TimeSpan.FromSeconds(1), gone.Token);
        await gone.CancelAsync();
        await held.WaitAsync(TimeSpan.FromSeconds(5)); // no exception: there is nothing to answer
        Assert.Equal(0, hold.Held(_tenant));
    }

    private RefusalHold Create(int maxHeld) =>
        new(Options.Create(new TenantRateLimitOptions { RefusalHold = Hold, MaxHeldRefusalsPerTenant = maxHeld }), _clock);
}
