using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.Data;
using TenantAspire.TenantApi.Admin;
using TenantAspire.TenantApi.Auth;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Apis;

/// <summary>
/// The no-tenancy twin of <c>GET /api/tenants/{slug}/users</c>, for the tenancy-tax benchmark only (docs/benchmarks.md): the
/// same endpoint pipeline, JWT validation and role policy, the same EF Core query and JSON, against ONE database through one
/// ordinary pooled data source of a tenant's size (<see cref="RegistryOptions.ConnectionsPerTenant"/>), with no tenant
/// resolution, route cache, rate limiter or connection registry. Mapped only in Development and only when
/// <c>Baseline:ConnectionString</c> is set (the AppHost never sets it), for platform admins only (the same cost as the tenant
/// endpoint's role policy, and no tenant's token can read the database it points at), and left out of the OpenAPI document.
/// </summary>
public static class BaselineApi
{
    public const string ConnectionStringKey = "Baseline:ConnectionString";

    public static IServiceCollection AddBaseline(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration[ConnectionStringKey] is { Length: > 0 } connectionString)
        {
            services.AddSingleton(sp => new BaselineDatabase(new NpgsqlConnectionStringBuilder(connectionString)
            {
                MaxPoolSize = sp.GetRequiredService<IOptions<RegistryOptions>>().Value.ConnectionsPerTenant,
            }.ConnectionString));
        }
        return services;
    }

    public static WebApplication MapBaselineApi(this WebApplication app)
    {
        if (app.Environment.IsDevelopment() && app.Services.GetService<BaselineDatabase>() is not null)
        {
            app.MapGet("api/baseline/users", ListAsync).RequireAuthorization(TenantPolicies.PlatformAdmin).ExcludeFromDescription();
        }
        return app;
    }

    public static async Task<Results<Ok<PagedList<UserDto>>, ProblemHttpResult>> ListAsync(
        BaselineDatabase baseline, TenantSchema schema, int? page, int? pageSize, CancellationToken ct)
    {
        if (Paging.Validate(page, pageSize) is { } error)
        {
            return BadRequest(error);
        }
        await using var connection = await baseline.Source.OpenConnectionAsync(ct);
        await using var db = schema.CreateContext(connection);
        return TypedResults.Ok(await UsersApi.PageAsync(db.Users, page, pageSize, ct));
    }

    public sealed class BaselineDatabase(string connectionString) : IAsyncDisposable
    {
        public NpgsqlDataSource Source { get; } = NpgsqlDataSource.Create(connectionString);

        public ValueTask DisposeAsync() => Source.DisposeAsync();
    }
}
