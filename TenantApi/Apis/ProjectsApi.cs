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

/// <summary>A tenant's projects; the owner must be a user of the same tenant (another tenant's user id does not exist here).</summary>
public static class ProjectsApi
{
    public static IEndpointRouteBuilder MapProjectsApi(this IEndpointRouteBuilder app) =>
        app.MapTenantScoped("Projects", TenantPolicies.TenantMember, api =>
        {
            api.MapGet("projects", ListAsync).WithOperation("ListProjects",
                "List the tenant's projects (by name; custom.<name> filters and sort=[-]custom.<name> as for users).");
            api.MapPost("projects", CreateAsync).WithOperation("CreateProject", "Create a project owned by a user of this tenant.");
            api.MapGet("projects/{id:guid}", GetAsync).WithOperation("GetProject", "One project.");
            api.MapPut("projects/{id:guid}", UpdateAsync).WithOperation("UpdateProject", "Rename a project or change its owner (and custom values, when sent).");
            api.MapDelete("projects/{id:guid}", DeleteAsync).WithOperation("DeleteProject", "Delete a project.");
        });

    public static async Task<Results<Ok<PagedList<ProjectDto>>, ProblemHttpResult>> ListAsync(
        TenantDb tenantDb, TenantCustomFields fields, HttpRequest http, int? page, int? pageSize, CancellationToken ct)
    {
        if (Paging.Validate(page, pageSize) is { } error)
        {
            return BadRequest(error);
        }
        var query = await fields.QueryAsync(CustomEntity.Projects, http, ct);
        if (query.Errors.Count > 0)
        {
            return Invalid(query.Errors);
        }
        var db = await tenantDb.GetAsync(ct);
        return TypedResults.Ok(query.IsEmpty
            ? await Paging.PageAsync(db.Projects.AsNoTracking().OrderBy(x => x.Name).ThenBy(x => x.Id), page, pageSize, ProjectDto.From, ct)
            : await TenantCustomFields.PageAsync(db.Projects, CustomEntity.Projects, query, "name, id", null, page, pageSize, ProjectDto.From, ct));
    }

    public static async Task<Results<Created<ProjectDto>, ProblemHttpResult>> CreateAsync(
        ProjectRequest request, TenantDb tenantDb, TenantCustomFields fields, HttpRequest http, TimeProvider clock, CancellationToken ct)
    {
        if (request.Validate() is { } error)
        {
            return BadRequest(error);
        }
        var (custom, errors) = await fields.CheckAsync(CustomEntity.Projects, request.Custom, creating: true, ct);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }
        var db = await tenantDb.GetAsync(ct);
        if (!await db.Users.AnyAsync(u => u.Id == request.OwnerId, ct))
        {
            return BadRequest($"ownerId {request.OwnerId} is not a user of this tenant.");
        }
        var now = clock.GetUtcNow();
        var project = new Project { Id = Guid.CreateVersion7(), Name = request.Name!.Trim(), OwnerId = request.OwnerId!.Value, CreatedAt = now, UpdatedAt = now, Custom = custom };
        db.Projects.Add(project);
        if (await WriteRaces.TryAsync(() => db.SaveChangesAsync(ct), Answers(project.Id, request.OwnerId)) is { } lost)
        {
            return lost;
        }
        return TypedResults.Created(TenantScopedRoutes.LocationOf(http, project.Id), ProjectDto.From(project));
    }

    public static async Task<Results<Ok<ProjectDto>, ProblemHttpResult>> GetAsync(Guid id, TenantDb tenantDb, CancellationToken ct)
    {
        var db = await tenantDb.GetAsync(ct);
        return await db.Projects.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct) is { } project
            ? TypedResults.Ok(ProjectDto.From(project))
            : NotFound($"No project {id}.");
    }

    public static async Task<Results<Ok<ProjectDto>, ProblemHttpResult>> UpdateAsync(
        Guid id, ProjectRequest request, TenantDb tenantDb, TenantCustomFields fields, TimeProvider clock, CancellationToken ct)
    {
        if (request.Validate() is { } error)
        {
            return BadRequest(error);
        }
        var (custom, errors) = await fields.CheckAsync(CustomEntity.Projects, request.Custom, creating: false, ct);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }
        var db = await tenantDb.GetAsync(ct);
        if (await db.Projects.SingleOrDefaultAsync(x => x.Id == id, ct) is not { } project)
        {
            return NotFound($"No project {id}.");
        }
        if (!await db.Users.AnyAsync(u => u.Id == request.OwnerId, ct))
        {
            return BadRequest($"ownerId {request.OwnerId} is not a user of this tenant.");
        }
        project.Name = request.Name!.Trim();
        project.OwnerId = request.OwnerId!.Value;
        project.UpdatedAt = clock.GetUtcNow();
        project.Custom = custom ?? project.Custom;
        return await WriteRaces.TryAsync(() => db.SaveChangesAsync(ct), Answers(id, request.OwnerId)) is { } lost
            ? lost
            : TypedResults.Ok(ProjectDto.From(project));
    }

    // The owner checked above can be deleted before the write lands: the foreign key says so, and the answer is a 409.
    private static WriteRaces.Answers Answers(Guid id, Guid? ownerId) => new(
        Missing: $"No project {id}.",
        ReferenceBroken: $"ownerId {ownerId} was deleted meanwhile; it is no longer a user of this tenant.");

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, TenantDb tenantDb, CancellationToken ct)
    {
        var db = await tenantDb.GetAsync(ct);
        return await db.Projects.Where(x => x.Id == id).ExecuteDeleteAsync(ct) == 1 ? TypedResults.NoContent() : NotFound($"No project {id}.");
    }
}
