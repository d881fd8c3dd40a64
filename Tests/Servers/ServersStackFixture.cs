using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Servers;

/// <summary>
/// Two servers where the premium one also takes standard tenants (so the first can be drained into it), a small budget on the
/// first server shared by the two API processes (tenant-api and tenant-api-2), short grace and fast drains.
/// </summary>
public sealed class ServersStackFixture : AspireAppFixture
{
    public const string Standard = "postgres";
    public const string Premium = "postgres-premium";

    /// <summary>Tenant connections both API processes together may hold on <see cref="Standard"/> (200 - 192): 4 per API process, under its own cap of 5.</summary>
    public const int StandardBudget = 8;
    public static readonly TimeSpan SourceGrace = TimeSpan.FromSeconds(3);

    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>().Where(p => p.Name is "provisioning-worker" or "tenant-api" or SecondApi))
        {
            builder.CreateResourceBuilder(project)
                .WithEnvironment($"Servers__Pool__{Premium}__Tiers__1", "Standard")
                .WithEnvironment($"Servers__Pool__{Standard}__ReservedConnections", (200 - StandardBudget).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var worker = builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "provisioning-worker"));
        worker.WithEnvironment("Moves__SourceGrace", SourceGrace.ToString("c", System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("Moves__DrainConcurrency", "4")
            .WithEnvironment("Moves__DrainInterval", "00:00:00.500");
    }
}

[CollectionDefinition(Name)]
public sealed class ServersStackCollection : ICollectionFixture<ServersStackFixture>
{
    public const string Name = "servers-stack";
}
