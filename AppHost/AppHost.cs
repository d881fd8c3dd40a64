using TenantAspire.AppHost;
using TenantAspire.AppHost.Local;

var builder = DistributedApplication.CreateBuilder(args);
var dataRoot = LocalDataRoot.Resolve(builder.Configuration[LocalDataRoot.ConfigurationKey], builder.AppHostDirectory);
if (args is [DevTokenCommand.Verb, ..])
{
    return DevTokenCommand.Run(args, dataRoot);
}

Infrastructure infra;
try
{
    var mode = InfrastructureModeSelector.Select(
        builder.Configuration[InfrastructureModeSelector.ConfigurationKey],
        builder.ExecutionContext.IsPublishMode,
        () => ContainerRuntimeProbe.Answers());
    infra = Infrastructure.Add(builder, mode, dataRoot);
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

var api = builder.AddProject<Projects.TenantApi>("tenant-api")
    .WithReference(infra.Catalog).WaitFor(infra.Catalog)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WaitFor(worker)
    .WithHttpHealthCheck("/health");

if (builder.ExecutionContext.IsRunMode)
{
    // Development tokens: a key generated once per checkout, handed to the API as a secret parameter (see mint-token).
    var signingKey = builder.AddParameter(DevTokenCommand.SigningKeySecret,
        dataRoot.ReadOrCreateSecret(DevTokenCommand.SigningKeySecret), secret: true);
    api.WithEnvironment("Auth__DevSigningKey", signingKey);
}

builder.Build().Run();
return 0;
