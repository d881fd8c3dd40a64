using System.Text.RegularExpressions;

namespace TenantAspire.Tenancy.Sql;

/// <summary>
/// The one place SQL identifiers (database and role names) and the few literals utility statements cannot parameterise are
/// quoted. Identifiers here always derive from GUIDs or constants, never from user input; the pattern check makes that a rule.
/// </summary>
public static partial class SqlIdentifier
{
    [GeneratedRegex(@"^[a-z_][a-z0-9_]{0,62}\z")] // \z: $ would accept a final "\n"
    private static partial Regex SafeIdentifier();

    [GeneratedRegex(@"^[A-Za-z0-9]{16,128}\z")]
    private static partial Regex SafeSecret();

    /// <summary>A double-quoted identifier; throws unless it is a lower-case, generated-style name.</summary>
    public static string Quote(string identifier)
    {
        if (!SafeIdentifier().IsMatch(identifier))
        {
            throw new ArgumentException($"'{identifier}' is not a safe SQL identifier.", nameof(identifier));
        }
        return "\"" + identifier + "\"";
    }

    /// <summary>A single-quoted literal for a generated secret (CREATE ROLE … PASSWORD takes no parameters).</summary>
    public static string SecretLiteral(string secret)
    {
        if (!SafeSecret().IsMatch(secret))
        {
            throw new ArgumentException("The secret is not a generated alphanumeric value.", nameof(secret));
        }
        return "'" + secret + "'";
    }

    [GeneratedRegex(@"^[a-z][a-z0-9_]{0,39}\z")]
    private static partial Regex SafeFieldName();

    /// <summary>
    /// A single-quoted literal for a custom field's name, the JSON key in an expression that an index must match word for word (a
    /// bound parameter would not match the index's expression). Names are checked against the tenant's definitions first; the
    /// pattern makes a name with anything but lower-case letters, digits and '_' impossible here.
    /// </summary>
    public static string FieldKeyLiteral(string name)
    {
        if (!SafeFieldName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a custom field name.", nameof(name));
        }
        return "'" + name + "'";
    }

    /// <summary>
    /// A single-quoted literal for an operator-configured value a utility statement cannot parameterise (a tablespace's location,
    /// a subscription's connection string): never user input; quotes are doubled and control characters refused.
    /// </summary>
    public static string ConfigLiteral(string value)
    {
        if (value.Any(char.IsControl))
        {
            throw new ArgumentException("A configured value may not contain control characters.", nameof(value));
        }
        return "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }
}
