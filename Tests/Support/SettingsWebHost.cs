using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace TenantAspire.TestSupport;

/// <summary>
/// A real service (the API or the worker) hosted inside the test or benchmark process (in-memory HTTP), in Development, with
/// the given settings over its own. <typeparamref name="TEntryPoint"/> is any public type of the service's assembly.
/// </summary>
public class SettingsWebHost<TEntryPoint>(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
