using System.Net.Mail;
using System.Text.Json.Nodes;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.TenantApi.Apis;

/// <param name="Custom">The tenant's custom fields of users (its schema: GET …/custom-fields/schema). On an update, leaving it out keeps
/// the stored values; sending it replaces them.</param>
public sealed record UserRequest(string? Email, string? Name, JsonObject? Custom = null)
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

/// <param name="Custom">The user's custom field values, by field name (an empty object when there are none).</param>
public sealed record UserDto(Guid Id, string Email, string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, JsonObject Custom)
{
    public static UserDto From(User u) => new(u.Id, u.Email, u.Name, u.CreatedAt, u.UpdatedAt, CustomJson.Read(u.Custom));
}

public sealed record ProjectRequest(string? Name, Guid? OwnerId, JsonObject? Custom = null)
{
    public string? Validate() =>
        string.IsNullOrWhiteSpace(Name) || Name.Length > 200 ? "name is required and at most 200 characters."
        : OwnerId is null || OwnerId == Guid.Empty ? "ownerId is required."
        : null;
}

public sealed record ProjectDto(Guid Id, string Name, Guid OwnerId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, JsonObject Custom)
{
    public static ProjectDto From(Project p) => new(p.Id, p.Name, p.OwnerId, p.CreatedAt, p.UpdatedAt, CustomJson.Read(p.Custom));
}

public sealed record TaskRequest(string? Title, bool? Done, JsonObject? Custom = null)
{
    public string? Validate() =>
        string.IsNullOrWhiteSpace(Title) || Title.Length > 500 ? "title is required and at most 500 characters." : null;
}

public sealed record TaskDto(Guid Id, Guid ProjectId, string Title, bool Done, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, JsonObject Custom)
{
    public static TaskDto From(ProjectTask t) => new(t.Id, t.ProjectId, t.Title, t.Done, t.CreatedAt, t.UpdatedAt, CustomJson.Read(t.Custom));
}

/// <summary>A row's stored <c>custom</c> (jsonb text) as the object a response carries.</summary>
public static class CustomJson
{
    public static JsonObject Read(string? stored) => stored is null ? [] : JsonNode.Parse(stored)?.AsObject() ?? [];
}
