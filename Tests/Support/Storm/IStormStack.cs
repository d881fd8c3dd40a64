namespace TenantAspire.Storm;

/// <summary>What the storm needs of a running stack (the test fixture or the benchmark's stack implement it).</summary>
public interface IStormStack
{
    /// <summary>How many API replicas answer; requests are spread over all of them.</summary>
    int ApiReplicas { get; }

    /// <summary>A client for API replica <paramref name="replica"/> with a token for <paramref name="tenant"/> (null: platform admin).</summary>
    HttpClient Api(int replica, string? tenant, params string[] roles);

    /// <summary>Connection strings of the stack's resources: catalog, postgres, postgres-premium, blobs.</summary>
    Task<string> ConnectionStringAsync(string resource);

    /// <summary>The backup store with the account key, trusting the store's own certificate authority.</summary>
    Task<Azure.Storage.Blobs.BlobServiceClient> BlobStoreAsync();

    /// <summary>Starts again any worker instance that exited (the storm SIGKILLs them), and waits until it is healthy.</summary>
    Task RestartWorkersAsync();
}
