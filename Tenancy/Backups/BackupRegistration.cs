using Azure.Core;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace TenantAspire.Tenancy.Backups;

public static class BackupRegistration
{
    public const string ConnectionName = "blobs";

    /// <summary>
    /// The backup store from <c>ConnectionStrings:blobs</c> (the AppHost's Azurite, over HTTPS with the authority in
    /// <c>Blobs:CaCertificate</c>). No Aspire client integration for Blob storage is
    /// served here, so the SDK client is registered directly; its retries are short, so a store that is down fails a backup in
    /// seconds (the next pass retries it) instead of holding a worker slot for minutes.
    /// </summary>
    public static IHostApplicationBuilder AddBackupStore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(_ =>
        {
            var connectionString = builder.Configuration.GetConnectionString(ConnectionName)
                ?? throw new InvalidOperationException($"ConnectionStrings:{ConnectionName} (the backup store) is not configured.");
            var options = new BlobClientOptions();
            options.Retry.MaxRetries = 2;
            options.Retry.Mode = RetryMode.Exponential;
            options.Retry.Delay = TimeSpan.FromMilliseconds(200);
            options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10); // one 4 MB block per request
            return BlobStoreClients.Create(connectionString, builder.Configuration[BlobStoreClients.CaCertificateKey], options);
        });
        builder.Services.AddSingleton<BackupStore>();
        return builder;
    }
}
