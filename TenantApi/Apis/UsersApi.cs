using Microsoft.AspNetCore.Http.HttpResults;
using TenantAspire.Tenancy.Connections;
using TenantAspire.Tenancy.CustomFields;
using TenantAspire.Tenancy.Data;
using TenantAspire.TenantApi.Admin;
using TenantAspire.TenantApi.Auth;
using TenantAspire.TenantApi.CustomFields;
using TenantAspire.TenantApi.OpenApi;
using TenantAspire.TenantApi.Tenants;
using static TenantAspire.TenantApi.Problems.Problems;

namespace TenantAspire.TenantApi.Apis;

/// <summary>A tenant's users, in the tenant's own database (reached through the connection registry as the tenant's role).</summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app) =>
        app.MapTenantScoped("Users", TenantPolicies.TenantMember, api =>
        {
            api.MapGet("users", ListAsync).WithOperation("ListUsers",
                "List the tenant's users (by email; email=… finds one; filter with custom.<name>=v, .gt/.gte/.lt/.lte for numbers and dates, sort=[-]custom.<name>).");
            api.MapPost("users", CreateAsync).WithOperation("CreateUser", "Create a user; the email is unique within the tenant.")
                .RequireAuthorization(TenantPolicies.TenantAdmin);
            api.MapGet("users/{id:guid}", GetAsync).WithOperation("GetUser", "One user.");
            api.MapPut("users/{id:guid}", UpdateAsync).WithOperation("UpdateUser", "Replace a user's email and name (and custom values, when sent).")
                .RequireAuthorization(TenantPolicies.TenantAdmin);
            api.MapDelete("users/{id:guid}", DeleteAsync).WithOperation("DeleteUser", "Delete a user who owns no project.")
                .RequireAuthorization(TenantPolicies.TenantAdmin);
        });

    public static async Task<Results<Ok<PagedList<UserDto>>, ProblemHttpResult>> ListAsync(
        TenantDb tenantDb, TenantCustomFields fields, HttpRequest http, string? email, int? page, int? pageSize, CancellationToken ct)
    {
        if (Paging.Validate(page, pageSize) is { } error)
        {
            return BadRequest(error);
        }
        var byEmail = email?.Trim().ToLowerInvariant(); // stored lower-cased (UserRequest.NormalizedEmail)
        var query = await fields.QueryAsync(CustomEntity.Users, http, ct);
        if (query.Errors.Count > 0)
        {
            return Invalid(query.Errors);
        }
        var db = await tenantDb.GetAsync(ct);
        return TypedResults.Ok(query.IsEmpty
            ? await PageAsync(byEmail is null ? db.Users : db.Users.Where(u => u.Email == byEmail), page, pageSize, ct)
            : await TenantCustomFields.PageAsync(db.Users, CustomEntity.Users, query, "email",
                byEmail is null ? null : ("email = @email", () => new("email", byEmail)), page, pageSize, UserDto.From, ct));
    }

    /// <summary>One page of users by email (shared with the no-tenancy baseline, <see cref="BaselineApi"/>).</summary>
    internal static Task<PagedList<UserDto>> PageAsync(IQueryable<User> users, int? page, int? pageSize, CancellationToken ct) =>
        Paging.PageAsync(users.AsNoTracking().OrderBy(u => u.Email), page, pageSize, UserDto.From, ct);

    public static async Task<Results<Created<UserDto>, ProblemHttpResult>> CreateAsync(
        UserRequest request, TenantDb tenantDb, TenantCustomFields fields, HttpRequest http, TimeProvider clock, CancellationToken ct)
    {
        if (request.Validate() is { } error)
        {
            return BadRequest(error);
        }
        var (custom, errors) = await fields.CheckAsync(CustomEntity.Users, request.Custom, creating: true, ct);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }
        var db = await tenantDb.GetAsync(ct);
        var now = clock.GetUtcNow();
        var user = new User
        {
            Id = Guid.CreateVersion7(), Email = request.NormalizedEmail, Name = request.Name!.Trim(), CreatedAt = now, UpdatedAt = now, Custom = custom,
        };
        db.Users.Add(user);
        if (await WriteRaces.TryAsync(() => db.SaveChangesAsync(ct), Answers(user.Id)) is { } lost)
        {
            return lost;
        }
        return TypedResults.Created(TenantScopedRoutes.LocationOf(http, user.Id), UserDto.From(user));
    }

    public static async Task<Results<Ok<UserDto>, ProblemHttpResult>> GetAsync(Guid id, TenantDb tenantDb, CancellationToken ct)
    {
        var db = await tenantDb.GetAsync(ct);
        return await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, ct) is { } user
            ? TypedResults.Ok(UserDto.From(user))
            : NotFound($"No user {id}.");
    }

    public static async Task<Results<Ok<UserDto>, ProblemHttpResult>> UpdateAsync(
        Guid id, UserRequest request, TenantDb tenantDb, TenantCustomFields fields, TimeProvider clock, CancellationToken ct)
    {
        if (request.Validate() is { } error)
        {
            return BadRequest(error);
        }
        var (custom, errors) = await fields.CheckAsync(CustomEntity.Users, request.Custom, creating: false, ct);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }
        var db = await tenantDb.GetAsync(ct);
        if (await db.Users.SingleOrDefaultAsync(u => u.Id == id, ct) is not { } user)
        {
            return NotFound($"No user {id}.");
        }
        user.Email = request.NormalizedEmail;
        user.Name = request.Name!.Trim();
        user.UpdatedAt = clock.GetUtcNow();
        user.Custom = custom ?? user.Custom;
        return await WriteRaces.TryAsync(() => db.SaveChangesAsync(ct), Answers(id)) is { } lost ? lost : TypedResults.Ok(UserDto.From(user));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, TenantDb tenantDb, CancellationToken ct)
    {
        var db = await tenantDb.GetAsync(ct);
        if (await db.Projects.AnyAsync(p => p.OwnerId == id, ct))
        {
            return Conflict($"User {id} owns projects; reassign or delete them first.");
        }
        var deleted = 0;
        // A project created for this user after the check above breaks the foreign key: the same 409 as the check.
        return await WriteRaces.TryAsync(async () => deleted = await db.Users.Where(u => u.Id == id).ExecuteDeleteAsync(ct), Answers(id)) is { } lost
            ? lost
            : deleted == 1 ? TypedResults.NoContent() : NotFound($"No user {id}.");
    }

    private static WriteRaces.Answers Answers(Guid id) => new(
        Missing: $"No user {id}.",
        Duplicate: "A user with this email already exists in this tenant.",
        ReferenceBroken: $"User {id} owns projects; reassign or delete them first.");
}
