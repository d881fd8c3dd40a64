namespace TenantAspire.Tenancy.Data;

/// <summary>
/// The tenant migrations the code refers to by name, and the one compatibility rule the request path relies on (see
/// docs/operations.md, "Shipping a schema change"): migrations are expand-only within a release, so a tenant still at an older
/// migration is served by every endpoint that existed before it; an endpoint that needs a newer one says so
/// (<c>RequiresTenantSchema</c>) and its tenant is brought forward first.
/// </summary>
public static class TenantMigrations
{
    public const string Initial = "20261126021831_InitialTenantSchema";

    /// <summary>Adds <c>tasks</c> (project to-dos): the first change shipped to existing tenants by a rollout.</summary>
    public const string Tasks = "20261126135427_TenantTasks";

    /// <summary>
    /// Adds <c>custom_fields</c> (a tenant's own field definitions) and a <c>custom</c> JSONB column on users, projects and tasks:
    /// additive with a constant default (no table rewrite). Endpoints that existed before read and write <c>custom</c> only on
    /// tenants at or past it (<see cref="HasCustomFields"/>); a tenant behind it has no definitions, so it has no custom values.
    /// </summary>
    public const string CustomFields = "20261205151041_CustomFields";

    /// <summary>The newest tenant migration of this build (a unit test holds it equal to what the migrations assembly says).</summary>
    public const string Latest = CustomFields;

    /// <summary>
    /// The oldest tenant schema this build still serves on every endpoint that does not name a newer one. Raised only by a
    /// release that contracts (drops or renames what an older build used), after a rollout has brought every tenant past it.
    /// </summary>
    public const string MinimumServable = Initial;

    /// <summary>Whether a tenant at <paramref name="schemaVersion"/> has the <c>custom</c> columns and its field definitions.</summary>
    public static bool HasCustomFields(string? schemaVersion) => !IsBehind(schemaVersion, CustomFields);

    /// <summary>Migration ids start with a UTC timestamp, so ordinal order is the order they apply in.</summary>
    public static bool IsBehind(string? current, string target) => current is null || string.CompareOrdinal(current, target) < 0;
}
