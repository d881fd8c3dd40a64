using System.Net.Mail;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.TenantApi.Apis;

public sealed record UserRequest(string? Email, string? Name)
{
    /// <summary>Null when valid; the email is compared lower-cased.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Email) || Email.Length > 320 || !MailAddress.TryCreate(Email, out var parsed) || parsed.Address != Email.Trim())
        {
            return "email must be a valid address of at most 320 characters.";
        }
        return string.IsNullOrWhiteSpace(Name) || Name.Length > 200 ? "name is required and at most 200 characters." : null;
    }

    [System.Text.Json.Serialization.JsonIgnore] // computed, never sent: keeps it out of the request schema too
    public string NormalizedEmail => Email!.Trim().ToLowerInvariant();
}

public sealed record UserDto(Guid Id, string Email, string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static UserDto From(User u) => new(u.Id, u.Email, u.Name, u.CreatedAt, u.UpdatedAt);
}

public sealed record ProjectRequest(string? Name, Guid? OwnerId)
{
    public string? Validate() =>
        string.IsNullOrWhiteSpace(Name) || Name.Length > 200 ? "name is required and at most 200 characters."
        : OwnerId is null || OwnerId == Guid.Empty ? "ownerId is required."
        : null;
}

public sealed record ProjectDto(Guid Id, string Name, Guid OwnerId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ProjectDto From(Project p) => new(p.Id, p.Name, p.OwnerId, p.CreatedAt, p.UpdatedAt);
}

public sealed record TaskRequest(string? Title, bool? Done)
{
    public string? Validate() =>
        string.IsNullOrWhiteSpace(Title) || Title.Length > 500 ? "title is required and at most 500 characters." : null;
}

public sealed record TaskDto(Guid Id, Guid ProjectId, string Title, bool Done, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static TaskDto From(ProjectTask t) => new(t.Id, t.ProjectId, t.Title, t.Done, t.CreatedAt, t.UpdatedAt);
}
