using TenantAspire.AppHost;
using TenantAspire.AppHost.Local;

var builder = DistributedApplication.CreateBuilder(args);

Infrastructure infra;
try
{
    var mode = InfrastructureModeSelector.Select(
        builder.Configuration[InfrastructureModeSelector.ConfigurationKey],
        builder.ExecutionContext.IsPublishMode,
        () => ContainerRuntimeProbe.Answers());
    infra = Infrastructure.Add(builder, mode);
}
catch (Exception e) when (e is LocalPrerequisiteMissingException or InvalidInfrastructureModeException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

var worker = builder.AddProject<Projects.ProvisioningWorker>("provisioning-worker")
    .WithReference(infra.Postgres).WaitFor(infra.Postgres)
    .WithReference(infra.Catalog).WaitFor(infra.Catalog)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.TenantApi>("tenant-api")
    .WithReference(infra.Catalog).WaitFor(infra.Catalog)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WaitFor(worker)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
return 0;
