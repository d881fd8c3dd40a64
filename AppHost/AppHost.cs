using Aspire.Hosting.ApplicationModel;
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

// Secrets both services need. Run mode: generated once per data folder (never printed); published: supplied by the operator
// (the API's catalog password is generated at deploy time).
var catalogApiPassword = builder.ExecutionContext.IsRunMode
    ? builder.AddParameter(CatalogRoles.ApiPasswordParameter, dataRoot.ReadOrCreateSecret(CatalogRoles.ApiPasswordParameter), secret: true)
    : builder.AddParameter(CatalogRoles.ApiPasswordParameter, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true);
var keyEncryption = builder.ExecutionContext.IsRunMode
    ? builder.AddParameter(KeyEncryptionCertificate.ParameterName,
        dataRoot.ReadOrCreateSecret(KeyEncryptionCertificate.ParameterName, KeyEncryptionCertificate.Generate), secret: true)
    : builder.AddParameter(KeyEncryptionCertificate.ParameterName, secret: true);

// The worker administers the servers (it creates tenant databases and roles, and the API's catalog login): it gets the server.
var worker = builder.AddProject<Projects.ProvisioningWorker>("provisioning-worker")
    .WithReference(infra.Postgres).WaitFor(infra.Postgres)
    .WithReference(infra.Catalog).WaitFor(infra.Catalog)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithEnvironment("Catalog__ApiRolePassword", catalogApiPassword)
    .WithEnvironment("DataProtection__KeyEncryptionCertificate", keyEncryption)
    .WithHttpHealthCheck("/health");

// The internet-facing API reaches the catalog only as its least-privilege login, never as the superuser.
var api = builder.AddProject<Projects.TenantApi>("tenant-api")
    .WithEnvironment("ConnectionStrings__catalog",
        CatalogRoles.ApiConnectionString(infra.PostgresEndpoint, Infrastructure.CatalogDatabase, catalogApiPassword.Resource))
    .WaitFor(infra.Catalog)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithEnvironment("DataProtection__KeyEncryptionCertificate", keyEncryption)
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
