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

/// <summary>
/// A project's tasks. They live in the table the second tenant migration added, so every endpoint here needs it
/// (<see cref="RequiresTenantSchema"/>): a tenant the fleet rollout has not reached yet is migrated while the request waits.
/// </summary>
public static class TasksApi
{
    public static IEndpointRouteBuilder MapTasksApi(this IEndpointRouteBuilder app) =>
        app.MapTenantScoped("Tasks", TenantPolicies.TenantMember, api =>
        {
            var tasks = api.MapGroup("projects/{projectId:guid}/tasks").RequiresTenantSchema(TenantMigrations.Tasks);
            tasks.MapGet("", ListAsync).WithOperation("ListTasks", "List a project's tasks, oldest first.");
            tasks.MapPost("", CreateAsync).WithOperation("CreateTask", "Add a task to a project.");
            tasks.MapPut("{id:guid}", UpdateAsync).WithOperation("UpdateTask", "Rename a task or mark it done.");
            tasks.MapDelete("{id:guid}", DeleteAsync).WithOperation("DeleteTask", "Delete a task.");
        });

    public static async Task<Results<Ok<PagedList<TaskDto>>, ProblemHttpResult>> ListAsync(
        Guid projectId, TenantDb tenantDb, TenantCustomFields fields, HttpRequest http, int? page, int? pageSize, CancellationToken ct)
    {
        if (Paging.Validate(page, pageSize) is { } error)
        {
            return BadRequest(error);
        }
        var query = await fields.QueryAsync(CustomEntity.Tasks, http, ct);
        if (query.Errors.Count > 0)
        {
            return Invalid(query.Errors);
        }
        var db = await tenantDb.GetAsync(ct);
        if (!await db.Projects.AnyAsync(p => p.Id == projectId, ct))
        {
            return NotFound($"No project {projectId}.");
        }
        return TypedResults.Ok(query.IsEmpty
            ? await Paging.PageAsync(db.Tasks.AsNoTracking().Where(t => t.ProjectId == projectId).OrderBy(t => t.Id), page, pageSize, TaskDto.From, ct)
            : await TenantCustomFields.PageAsync(db.Tasks, CustomEntity.Tasks, query, "id", ("project_id = @project_id", () => new("project_id", projectId)),
                page, pageSize, TaskDto.From, ct));
    }

    public static async Task<Results<Created<TaskDto>, ProblemHttpResult>> CreateAsync(
        Guid projectId, TaskRequest request, TenantDb tenantDb, TenantCustomFields fields, HttpRequest http, TimeProvider clock, CancellationToken ct)
    {
        if (request.Validate() is { } error)
        {
            return BadRequest(error);
        }
        var (custom, errors) = await fields.CheckAsync(CustomEntity.Tasks, request.Custom, creating: true, ct);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }
        var db = await tenantDb.GetAsync(ct);
        if (!await db.Projects.AnyAsync(p => p.Id == projectId, ct))
        {
            return NotFound($"No project {projectId}.");
        }
        var now = clock.GetUtcNow();
        var task = new ProjectTask
        {
            Id = Guid.CreateVersion7(), ProjectId = projectId, Title = request.Title!.Trim(), Done = request.Done ?? false,
            CreatedAt = now, UpdatedAt = now, Custom = custom,
        };
        db.Tasks.Add(task);
        if (await WriteRaces.TryAsync(() => db.SaveChangesAsync(ct), Answers(projectId, task.Id)) is { } lost)
        {
            return lost;
        }
        return TypedResults.Created(TenantScopedRoutes.LocationOf(http, task.Id), TaskDto.From(task));
    }

    public static async Task<Results<Ok<TaskDto>, ProblemHttpResult>> UpdateAsync(
        Guid projectId, Guid id, TaskRequest request, TenantDb tenantDb, TenantCustomFields fields, TimeProvider clock, CancellationToken ct)
    {
        if (request.Validate() is { } error)
        {
            return BadRequest(error);
        }
        var (custom, errors) = await fields.CheckAsync(CustomEntity.Tasks, request.Custom, creating: false, ct);
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }
        var db = await tenantDb.GetAsync(ct);
        if (await db.Tasks.SingleOrDefaultAsync(t => t.Id == id && t.ProjectId == projectId, ct) is not { } task)
        {
            return NotFound($"No task {id} in project {projectId}.");
        }
        task.Title = request.Title!.Trim();
        task.Done = request.Done ?? task.Done;
        task.UpdatedAt = clock.GetUtcNow();
        task.Custom = custom ?? task.Custom;
        return await WriteRaces.TryAsync(() => db.SaveChangesAsync(ct), Answers(projectId, id)) is { } lost
            ? lost
            : TypedResults.Ok(TaskDto.From(task));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid projectId, Guid id, TenantDb tenantDb, CancellationToken ct)
    {
        var db = await tenantDb.GetAsync(ct);
        return await db.Tasks.Where(t => t.Id == id && t.ProjectId == projectId).ExecuteDeleteAsync(ct) == 1
            ? TypedResults.NoContent()
            : NotFound($"No task {id} in project {projectId}.");
    }

    // The project checked above can be deleted before the write lands (its tasks go with it): the foreign key says so.
    private static WriteRaces.Answers Answers(Guid projectId, Guid id) => new(
        Missing: $"No task {id} in project {projectId}.",
        ReferenceBroken: $"Project {projectId} was deleted meanwhile.");
}
