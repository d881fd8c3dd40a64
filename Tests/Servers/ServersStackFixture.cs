using TenantAspire.AppHost;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Servers;

/// <summary>
/// Two servers where the premium one also takes standard tenants (so the first can be drained into it), a small budget on the
/// first server shared by the two API processes (tenant-api and tenant-api-2), short grace and fast drains.
/// </summary>
public sealed class ServersStackFixture() : AspireAppFixture(sharedCatalog: "catalog_servers")
{
    public const string Standard = "postgres";
    public const string Premium = "postgres-premium";

    /// <summary>Tenant connections both API processes together may hold on <see cref="Standard"/> (200 - 192): 4 per API process, under its own cap of 5.</summary>
    public const int StandardBudget = 8;
    public static readonly TimeSpan SourceGrace = TimeSpan.FromSeconds(3);

    protected override IEnumerable<(string Resource, string Variable, string Value)> ServiceSettings
    {
        get
        {
            foreach (var project in new[] { ResourceNames.Worker, ResourceNames.Api, SecondApi })
            {
                yield return (project, $"Servers__Pool__{Premium}__Tiers__1", "Standard");
                yield return (project, $"Servers__Pool__{Standard}__ReservedConnections",
                    (200 - StandardBudget).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            yield return (ResourceNames.Worker, "Moves__SourceGrace", SourceGrace.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
            yield return (ResourceNames.Worker, "Moves__DrainConcurrency", "4");
            yield return (ResourceNames.Worker, "Moves__DrainInterval", "00:00:00.500");
        }
    }
}
