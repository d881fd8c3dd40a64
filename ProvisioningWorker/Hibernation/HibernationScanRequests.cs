using System.Threading.Channels;

namespace TenantAspire.ProvisioningWorker.Hibernation;

/// <summary>Requests to scan for idle tenants now (from the admin API, e.g. the dashboard's command), with who asked.</summary>
public sealed class HibernationScanRequests
{
    // Bounded and collapsing: ten requests while a scan runs are one more scan, not ten.
    private readonly Channel<string> _requests = Channel.CreateBounded<string>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Request(string actor) => _requests.Writer.TryWrite(actor);

    public ValueTask<string> NextAsync(CancellationToken ct) => _requests.Reader.ReadAsync(ct);
}
