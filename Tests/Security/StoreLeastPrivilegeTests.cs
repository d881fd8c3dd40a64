using Azure;
using Azure.Storage.Blobs;
using TenantAspire.Tenancy.Backups;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Security;

/// <summary>The API reads the backup store with a read-only SAS: it can download, never write or delete (only the worker holds the key).</summary>
[Collection(AspireAppCollection.Name)]
public sealed class StoreLeastPrivilegeTests(AspireAppFixture fixture)
{
    [Fact]
    public async Task The_api_store_credential_reads_and_lists_but_cannot_write_delete_or_create()
    {
        var apiStore = await ApiEnvironmentAsync("ConnectionStrings__blobs");
        Assert.DoesNotContain("AccountKey", apiStore, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("SharedAccessSignature", apiStore, StringComparison.Ordinal);

        // The worker's credential (the account key) writes a blob the API's may then read.
        var name = $"tests/{Guid.NewGuid():N}.bin";
        var asWorker = (await fixture.BlobStoreAsync()).GetBlobContainerClient("least-privilege");
        await asWorker.CreateIfNotExistsAsync();
        await asWorker.GetBlobClient(name).UploadAsync(BinaryData.FromString("backup bytes"));

        var authority = await fixture.BlobStoreAuthorityAsync();
        var asApi = BlobStoreClients.Create(apiStore, authority).GetBlobContainerClient("least-privilege");
        Assert.Equal("backup bytes", (await asApi.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString());
        var listed = new List<string>();
        await foreach (var blob in asApi.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "tests/", CancellationToken.None))
        {
            listed.Add(blob.Name);
        }
        Assert.Contains(name, listed);

        foreach (var (what, attempt) in new (string, Func<Task>)[]
                 {
                     ("overwrite", () => asApi.GetBlobClient(name).UploadAsync(BinaryData.FromString("tampered"), overwrite: true)),
                     ("delete", () => asApi.GetBlobClient(name).DeleteAsync()),
                     ("new blob", () => asApi.GetBlobClient(name + ".new").UploadAsync(BinaryData.FromString("x"))),
                     ("new container", () => BlobStoreClients.Create(apiStore, authority).GetBlobContainerClient($"c{Guid.NewGuid():N}").CreateAsync()),
                 })
        {
            var refused = await Assert.ThrowsAsync<RequestFailedException>(attempt);
            Assert.True(refused.Status == 403, $"{what}: {refused.Status} {refused.ErrorCode}");
        }
        Assert.Equal("backup bytes", (await asWorker.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString());
        await asWorker.DeleteAsync();
    }

    /// <summary>A variable as the running tenant-api process got it (the orchestrator's snapshot of its environment).</summary>
    [Fact]
    public async Task The_store_speaks_only_tls_and_a_client_without_its_authority_is_refused()
    {
        var connectionString = await fixture.ConnectionStringAsync("blobs");
        Assert.Contains("BlobEndpoint=https://", connectionString, StringComparison.Ordinal);

        // The machine's own trust does not include the store's generated authority: verification is on, not switched off.
        var untrusting = new BlobServiceClient(connectionString, new BlobClientOptions { Retry = { MaxRetries = 0 } });
        var refused = await Record.ExceptionAsync(() => untrusting.GetPropertiesAsync());
        var causes = new List<Exception>();
        for (var e = refused; e is not null; e = e.InnerException)
        {
            causes.Add(e);
        }
        Assert.True(causes.OfType<System.Security.Authentication.AuthenticationException>().Any(),
            $"expected a TLS refusal, got: {string.Join(" <- ", causes.Select(c => c.GetType().Name + ": " + c.Message))}");

        // The same store, trusting exactly that authority, answers.
        var trusting = BlobStoreClients.Create(connectionString, await fixture.BlobStoreAuthorityAsync());
        Assert.NotNull((await trusting.GetPropertiesAsync()).Value);
    }

    private async Task<string> ApiEnvironmentAsync(string name)
    {
        using var replay = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var e in fixture.App.ResourceNotifications.WatchAsync(replay.Token))
        {
            if (e.Resource.Name == "tenant-api" && e.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == name) is { Value: { } value })
            {
                return value;
            }
        }
        throw new InvalidOperationException($"tenant-api has no {name}");
    }
}
