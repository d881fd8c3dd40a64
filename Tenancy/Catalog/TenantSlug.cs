using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace TenantAspire.Tenancy.Catalog;

/// <summary>The tenant key in URLs, headers and tokens: <c>^[a-z][a-z0-9-]{2,62}$</c>, not reserved, immutable.</summary>
public static partial class TenantSlug
{
    public const string Pattern = "^[a-z][a-z0-9-]{2,62}$";

    // Words that would be confusing or dangerous as a tenant key (routes, Postgres names, platform words).
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "api", "admin", "administrator", "root", "postgres", "template", "template0", "template1", "catalog", "public",
        "system", "tenant", "tenants", "users", "projects", "health", "alive", "platform", "www", "default", "null",
        "redis", "openapi", "scalar", "internal", "me", "self",
    };

    // \z, not $: .NET's $ also matches before a final "\n", which let "admin\n" through (and into a database name).
    [GeneratedRegex(@"^[a-z][a-z0-9-]{2,62}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    public static bool IsValid([NotNullWhen(true)] string? slug) => Validate(slug) is null;

    /// <summary>Null when valid, else a sentence saying why not.</summary>
    public static string? Validate(string? slug)
    {
        if (string.IsNullOrEmpty(slug))
        {
            return "The tenant slug is required.";
        }
        if (slug.Length > 63 || !Shape().IsMatch(slug))
        {
            return "The tenant slug must match ^[a-z][a-z0-9-]{2,62}$ (lower-case letter first, then letters, digits or '-').";
        }
        if (Reserved.Contains(slug) || slug.StartsWith("pg", StringComparison.Ordinal))
        {
            return $"The tenant slug '{slug}' is reserved.";
        }
        return null;
    }
}
