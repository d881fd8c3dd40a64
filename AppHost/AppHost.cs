using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using TenantAspire.AppHost;
using TenantAspire.AppHost.Local;
using TenantAspire.AppHost.Tenants;
using TenantAspire.Tenancy.Catalog;

// mint-token answers before the application builder exists: building it costs seconds (scripts/mint-token is meant to be instant).
if (args is [DevTokenCommand.Verb, ..])
{
    return DevTokenCommand.Run(args, DevTokenCommand.DataRoot(args));
}

var builder = DistributedApplication.CreateBuilder(args);
builder.AddOrderedShutdown(); // services, then servers, then the backup store (Aspire stops everything at once)
var dataRoot = LocalDataRoot.Resolve(builder.Configuration[LocalDataRoot.ConfigurationKey], builder.AppHostDirectory);

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
var catalogWorkerPassword = builder.ExecutionContext.IsRunMode
    ? builder.AddParameter(CatalogRoles.WorkerPasswordParameter, dataRoot.ReadOrCreateSecret(CatalogRoles.WorkerPasswordParameter), secret: true)
    : builder.AddParameter(CatalogRoles.WorkerPasswordParameter, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true);
var keyEncryption = builder.ExecutionContext.IsRunMode
    ? builder.AddParameter(KeyEncryptionCertificate.ParameterName,
        dataRoot.ReadOrCreateSecret(KeyEncryptionCertificate.ParameterName, KeyEncryptionCertificate.Generate), secret: true)
    : builder.AddParameter(KeyEncryptionCertificate.ParameterName, secret: true);

var signingKey = builder.ExecutionContext.IsRunMode ? dataRoot.ReadOrCreateSecret(DevTokenCommand.SigningKeySecret) : null;
if (signingKey is not null)
{
    // Development tokens: a key generated once per checkout, handed to the API as a secret parameter (see mint-token).
    builder.AddParameter(DevTokenCommand.SigningKeySecret, signingKey, secret: true);
}

// The worker administers the servers (it creates tenant databases and roles, and the API's catalog login): it gets the server.
// Its catalog connection is its own rows-only login; the server's admin login runs the catalog migrations and creates both logins.
builder.AddProject<Projects.ProvisioningWorker>(ResourceNames.Worker)
    .WithTenantServers(admin: true) // every tenant server's admin login (the first one holds the catalog)
    .WithEnvironment("ConnectionStrings__catalog", CatalogRoles.LoginConnectionString(
        new EndpointReference((IResourceWithEndpoints)infra.Postgres.Resource, "tcp"), ResourceNames.Catalog, CatalogLogins.Worker,
        catalogWorkerPassword.Resource))
    .WaitFor(infra.Catalog)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithReference(infra.Blobs).WaitFor(infra.Blobs) // the worker writes backups and exports; only it runs pg_dump
    .WithBlobStoreAuthority()
    .WithEnvironment("Catalog__WorkerRolePassword", catalogWorkerPassword)
    .WithEnvironment("Catalog__ApiRolePassword", catalogApiPassword)
    .WithEnvironment("DataProtection__KeyEncryptionCertificate", keyEncryption)
    .WithPlainHttp()
    .WithHttpHealthCheck("/health");

// The internet-facing API reaches the catalog only as its least-privilege login, never as the superuser.
// Two replicas by default (TenantApi:Replicas): each server's connection budget is shared by all of them.
var api = builder.AddProject<Projects.TenantApi>(ResourceNames.Api)
    .WithReplicas(builder.Configuration.GetValue("TenantApi:Replicas", 2))
    .WithTenantApiBackends()
    .WithPlainHttp()
    .WithUrlForEndpoint("http", _ => new() { Url = "/scalar", DisplayText = "Scalar (API reference)" })
    .WithUrlForEndpoint("http", _ => new() { Url = "/openapi/v1.json", DisplayText = "OpenAPI document" })
    .WithHttpHealthCheck("/health");

if (signingKey is not null)
{
    // The fleet in the dashboard: live counts and health, and commands through the admin API (docs/operations.md, "Dashboard").
    builder.AddTenantsResource(infra.Catalog, api, signingKey);
}

builder.Build().Run();
return 0;
