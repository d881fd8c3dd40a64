using System.Threading.Channels;

namespace TenantAspire.ProvisioningWorker.Operations;

/// <summary>
/// Requests to run a periodic pass now (from the admin API through the catalog's NOTIFY channel), with who asked. Bounded and
/// collapsing: ten requests while a pass runs are one more pass, not ten.
/// </summary>
public abstract class PassRequests
{
    private readonly Channel<string> _requests = Channel.CreateBounded<string>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Request(string actor) => _requests.Writer.TryWrite(actor);

    public ValueTask<string> NextAsync(CancellationToken ct) => _requests.Reader.ReadAsync(ct);

    /// <summary>
    /// Runs <paramref name="pass"/> every <paramref name="interval"/> (with a null actor) and whenever one is asked for (with its
    /// actor), one at a time, until <paramref name="ct"/> ends. A pass's own errors are the pass's to handle.
    /// </summary>
    public async Task RunPeriodicallyAsync(TimeSpan interval, TimeProvider clock, Func<string?, Task> pass, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval, clock);
        var tick = timer.WaitForNextTickAsync(ct).AsTask();
        var asked = NextAsync(ct).AsTask();
        while (true)
        {
            string? requestedBy = null;
            if (await Task.WhenAny(tick, asked) == asked)
            {
                requestedBy = await asked;
                asked = NextAsync(ct).AsTask();
            }
            else if (!await tick)
            {
                return;
            }
            else
            {
                tick = timer.WaitForNextTickAsync(ct).AsTask();
            }
            await pass(requestedBy);
        }
    }
}
