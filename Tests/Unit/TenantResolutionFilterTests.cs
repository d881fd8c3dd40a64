using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Context;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Routing;
using TenantAspire.Tenancy.Telemetry;
using TenantAspire.TenantApi.Tenants;

namespace TenantAspire.Tests.Unit;

/// <summary>The composed edge: the order of its seams (a foreign token learns nothing) and what reaches the endpoint.</summary>
public sealed class TenantResolutionFilterTests
{
    private sealed class RecordingStore(TenantRoute? route) : ITenantRouteStore
    {
        public List<string> Lookups { get; } = [];

        public ValueTask<TenantRoute?> GetAsync(string slug, CancellationToken ct = default)
        {
            Lookups.Add(slug);
            return ValueTask.FromResult(route);
        }

        public ValueTask<TenantRoute?> RefreshAsync(string slug, CancellationToken ct = default) => GetAsync(slug, ct);
    }

    internal sealed class NoHolds : ITenantHolds
    {
        public Task<TenantRoute?> WakeAndWaitAsync(TenantRoute tenant, TimeSpan holdFor, CancellationToken ct) => Task.FromResult<TenantRoute?>(null);

        public Task<TenantRoute?> MoveAndWaitAsync(TenantRoute tenant, TimeSpan holdFor, CancellationToken ct) => Task.FromResult<TenantRoute?>(null);

        public Task<TenantRoute?> UpgradeAndWaitAsync(TenantRoute tenant, string schema, TimeSpan holdFor, CancellationToken ct) =>
            Task.FromResult<TenantRoute?>(null);
    }

    internal static TenantRoute Route(TenantStatus status) =>
        new(Guid.NewGuid(), "acme", TenantTier.Standard, status, "postgres", "db", "role", "x", DateTimeOffset.UnixEpoch, TenantMigrations.Latest);

    /// <summary>A tenant admin's token issued now (after the tenant's creation, so the instance guard lets it through).</summary>
    private static ClaimsPrincipal TenantAdminOf(string tenant) => new(new ClaimsIdentity(
        [new(TenantClaims.Role, TenantClaims.TenantAdmin), new(TenantClaims.TenantId, tenant),
         new("iat", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture))],
        "test", "sub", TenantClaims.Role));

    private static async Task<(object? Result, bool Reached, TenantContextHolder Holder)> RunAsync(RecordingStore store, ClaimsPrincipal user, string slug)
    {
        var holder = new TenantContextHolder();
        var filter = new TenantResolutionFilter(store, new TenantStateGate(new NoHolds()), new TenantTagLimiter(Options.Create(new TelemetryOptions())),
            holder, NullLogger<TenantResolutionFilter>.Instance);
        var http = new DefaultHttpContext { User = user };
        http.Request.RouteValues["slug"] = slug;
        var reached = false;
        var result = await filter.InvokeAsync(new DefaultEndpointFilterInvocationContext(http), _ =>
        {
            reached = true;
            return ValueTask.FromResult<object?>("served");
        });
        return (result, reached, holder);
    }

    [Fact]
    public async Task A_token_of_another_tenant_is_refused_before_any_lookup()
    {
        var store = new RecordingStore(Route(TenantStatus.Active));
        var (result, reached, _) = await RunAsync(store, TenantAdminOf("globex"), "acme");
        Assert.Equal(StatusCodes.Status403Forbidden, Assert.IsType<ProblemHttpResult>(result).StatusCode);
        Assert.False(reached);
        Assert.Empty(store.Lookups); // not even whether 'acme' exists
    }

    [Fact]
    public async Task An_unknown_tenant_is_404_and_never_reaches_the_endpoint()
    {
        var (result, reached, _) = await RunAsync(new RecordingStore(null), TenantAdminOf("acme"), "acme");
        Assert.Equal(StatusCodes.Status404NotFound, Assert.IsType<ProblemHttpResult>(result).StatusCode);
        Assert.False(reached);
    }

    [Fact]
    public async Task A_hold_that_times_out_is_503_with_retry_after()
    {
        var holder = await RunAsync(new RecordingStore(Route(TenantStatus.Moving)), TenantAdminOf("acme"), "acme");
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, Assert.IsType<ProblemHttpResult>(holder.Result).StatusCode);
        Assert.False(holder.Reached);
    }

    [Fact]
    public async Task An_active_tenant_reaches_the_endpoint_with_its_context_set()
    {
        var route = Route(TenantStatus.Active);
        var (result, reached, holder) = await RunAsync(new RecordingStore(route), TenantAdminOf("acme"), "acme");
        Assert.Equal("served", result);
        Assert.True(reached);
        Assert.Same(route, ((ITenantContext)holder).Tenant);
    }
}
