using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Servers;

/// <summary>Which tablespace a tenant database of a tier gets on a server: its storage class's, or none where the server has no tablespaces.</summary>
public sealed class TenantTablespaces(ServerResolver servers)
{
    public string? For(string server, TenantTier tier) =>
        servers.Definition(server).TablespaceRoot is { Length: > 0 } ? StorageClasses.TablespaceFor(tier) : null;

    /// <summary>Where spares are cloned: standard storage, the tier nearly every new tenant gets.</summary>
    public string? ForSpares(string server) => For(server, TenantTier.Standard);

    /// <summary>" TABLESPACE …" for CREATE DATABASE, or nothing.</summary>
    public static string Clause(string? tablespace) =>
        tablespace is null ? string.Empty : " TABLESPACE " + StorageClasses.Quoted(tablespace);
}
