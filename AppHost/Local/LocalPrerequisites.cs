namespace TenantAspire.AppHost.Local;

/// <summary>Checks, before anything starts, that local mode's binaries exist, so a missing one is one clear line, not a stack trace.</summary>
public static class LocalPrerequisites
{
    public const string DefaultPostgresBin = "/usr/lib/postgresql/15/bin";

    /// <summary>Where scripts/ensure-local-deps.sh installs Azurite, relative to the repository root.</summary>
    public const string DefaultAzuriteBin = ".tools/azurite/node_modules/.bin/azurite-blob";

    public static void EnsureAzurite(string azuriteBin)
    {
        if (!File.Exists(azuriteBin))
        {
            throw new LocalPrerequisiteMissingException(
                $"Azurite not found at {azuriteBin}: run scripts/ensure-local-deps.sh (npm install azurite@3.35.0 into .tools/azurite) " +
                "or set LocalInfrastructure:AzuriteBin.");
        }
    }

    public static void EnsurePresent(string postgresBin)
    {
        if (!File.Exists(Path.Combine(postgresBin, "postgres")) || !File.Exists(Path.Combine(postgresBin, "initdb")))
        {
            throw new LocalPrerequisiteMissingException(
                $"PostgreSQL server binaries not found in {postgresBin}: install them (apt-get install -y postgresql-15) " +
                "or set LocalInfrastructure:PostgresBin.");
        }
        if (!OnPath("redis-server"))
        {
            throw new LocalPrerequisiteMissingException("redis-server not found on PATH: install it (apt-get install -y redis-server).");
        }
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}

public sealed class LocalPrerequisiteMissingException(string message) : Exception(message);
