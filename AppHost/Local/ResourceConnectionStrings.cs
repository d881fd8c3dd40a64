using Aspire.Hosting.ApplicationModel;

namespace TenantAspire.AppHost.Local;

internal static class ResourceConnectionStrings
{
    /// <summary>
    /// Health-check libraries take a synchronous factory; they run only once the resource is running, when its endpoint
    /// is allocated, so resolving the expression then does not block on anything.
    /// </summary>
    public static string Resolve(IResourceWithConnectionString resource) =>
        resource.ConnectionStringExpression.GetValueAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult()
        ?? throw new InvalidOperationException($"Connection string of '{resource.Name}' is not available yet.");
}
