using TenantAspire.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var mode = InfrastructureModeSelector.Select(
    builder.Configuration[InfrastructureModeSelector.ConfigurationKey],
    builder.ExecutionContext.IsPublishMode,
    () => ContainerRuntimeProbe.Answers());
var infra = Infrastructure.Add(builder, mode);

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
