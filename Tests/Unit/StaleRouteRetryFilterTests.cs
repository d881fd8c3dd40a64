using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Context;
using TenantAspire.Tenancy.Routing;
using TenantAspire.TenantApi.Tenants;

namespace TenantAspire.Tests.Unit;

/// <summary>When a request whose database refused its cached route is served again, and when it is not.</summary>
public sealed class StaleRouteRetryFilterTests
{
    private static readonly TenantRoute Cached = TenantResolutionFilterTests.Route(TenantStatus.Active);

    /// <summary>The catalog's route as the store reads it past the cache; counts the reads.</summary>
    private sealed class CatalogStore(TenantRoute? catalog, Exception? down = null) : ITenantRouteStore
    {
        public int Refreshes { get; private set; }

        public ValueTask<TenantRoute?> GetAsync(string slug, CancellationToken ct = default) => ValueTask.FromResult<TenantRoute?>(Cached);

        public ValueTask<TenantRoute?> RefreshAsync(string slug, CancellationToken ct = default)
        {
            Refreshes++;
            return down is null ? ValueTask.FromResult(catalog) : ValueTask.FromException<TenantRoute?>(down);
        }
    }

    /// <summary>The source's refusal of a role a move locked out (what a stale replica's connect gets).</summary>
    private static PostgresException LockedOut() =>
        new("permission denied for database \"tdb\"", "FATAL", "FATAL", PostgresErrorCodes.InsufficientPrivilege);

    private static async Task<(object? Result, List<TenantRoute> Runs, CatalogStore Store)> RunAsync(TenantRoute? catalog, Exception firstFailure,
        Exception? catalogDown = null)
    {
        var holder = new TenantContextHolder();
        holder.Set(Cached);
        var store = new CatalogStore(catalog, catalogDown);
        // Its connection is never opened here (the handler fails before it asks), so the registry and schema are not needed.
        var tenantDb = new TenantDb(holder, null!, null!);
        var filter = new StaleRouteRetryFilter(store, new TenantStateGate(new TenantResolutionFilterTests.NoHolds()), holder, tenantDb,
            NullLogger<StaleRouteRetryFilter>.Instance);
        var runs = new List<TenantRoute>();
        var result = await filter.InvokeAsync(new DefaultEndpointFilterInvocationContext(new DefaultHttpContext()), _ =>
        {
            runs.Add(((ITenantContext)holder).Tenant);
            return runs.Count == 1 ? throw firstFailure : ValueTask.FromResult<object?>("served");
        });
        return (result, runs, store);
    }

    [Fact]
    public async Task A_request_refused_on_a_route_that_has_since_moved_is_served_once_more_on_the_new_route()
    {
        var moved = Cached with { Server = "postgres-premium" };
        var (result, runs, store) = await RunAsync(moved, LockedOut());
        Assert.Equal("served", result);
        Assert.Equal([Cached, moved], runs);
        Assert.Equal(1, store.Refreshes);
    }

    [Fact]
    public async Task A_refusal_while_the_route_is_unchanged_is_not_retried()
    {
        // A server that is down says nothing about the route: the 503 stands, and no loop of retries hammers it.
        var refused = await Assert.ThrowsAsync<PostgresException>(() => RunAsync(Cached, LockedOut()));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    [Fact]
    public async Task A_catalog_that_does_not_answer_leaves_the_request_its_own_failure()
    {
        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            RunAsync(Cached with { Server = "postgres-premium" }, LockedOut(), new OperationCanceledException("catalog fill bound")));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState); // still a 503, not the read's cancellation (a 500)
    }

    [Fact]
    public async Task A_failure_that_is_a_bug_is_not_retried_and_the_catalog_is_not_read()
    {
        var moved = Cached with { Server = "postgres-premium" };
        await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(moved, new InvalidOperationException("bug")));
    }

    [Fact]
    public async Task A_tenant_now_in_a_cut_over_goes_through_the_gate_and_a_hold_that_runs_out_is_503()
    {
        var (result, runs, _) = await RunAsync(Cached with { Status = TenantStatus.Moving }, LockedOut());
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, Assert.IsType<ProblemHttpResult>(result).StatusCode);
        Assert.Single(runs);
    }

    [Fact]
    public async Task A_tenant_deleted_meanwhile_is_404()
    {
        var (result, runs, _) = await RunAsync(null, new PostgresException("database does not exist", "FATAL", "FATAL", PostgresErrorCodes.InvalidCatalogName));
        Assert.Equal(StatusCodes.Status404NotFound, Assert.IsType<ProblemHttpResult>(result).StatusCode);
        Assert.Single(runs);
    }

    [Fact]
    public async Task A_tenant_deleted_and_its_slug_taken_by_a_new_one_is_404_never_the_new_tenant()
    {
        var (result, runs, _) = await RunAsync(Cached with { Id = Guid.NewGuid() }, LockedOut());
        Assert.Equal(StatusCodes.Status404NotFound, Assert.IsType<ProblemHttpResult>(result).StatusCode);
        Assert.Single(runs);
    }

    [Theory]
    [InlineData(null, null, null, false)]
    [InlineData(TenantStatus.Hibernated, null, null, true)]
    [InlineData(null, "postgres-premium", null, true)]
    [InlineData(null, null, "tdb_restored", true)]
    public void Only_a_route_that_differs_in_state_or_place_counts_as_changed(TenantStatus? status, string? server, string? database, bool changed)
    {
        var now = Cached with { Status = status ?? Cached.Status, Server = server ?? Cached.Server, DatabaseName = database ?? Cached.DatabaseName };
        Assert.Equal(changed, StaleRouteRetryFilter.Changed(Cached, now));
        Assert.True(StaleRouteRetryFilter.Changed(Cached, null));
    }
}
