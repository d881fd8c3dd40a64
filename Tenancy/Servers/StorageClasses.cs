using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.Tenancy.Servers;

/// <summary>
/// Tiered storage: every server has one tablespace per storage class (local mode: folders under the data root; containers:
/// volumes), and a tenant's database lives in its tier's. Names are constants, never user input.
/// </summary>
public static class StorageClasses
{
    public static readonly IReadOnlyList<string> All = ["standard", "premium"];

    public static string For(TenantTier tier) => tier == TenantTier.Premium ? "premium" : "standard";

    /// <summary>The tablespace of a storage class on every server.</summary>
    public static string Tablespace(string storageClass) =>
        All.Contains(storageClass) ? "tenant_" + storageClass : throw new ArgumentOutOfRangeException(nameof(storageClass));

    public static string TablespaceFor(TenantTier tier) => Tablespace(For(tier));

    public static string Quoted(string tablespace) => SqlIdentifier.Quote(tablespace);
}
