using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace TenantAspire.Tests.Servers;

/// <summary>
/// Inserts users into one tenant without pause, alternately through each given API process, and remembers which inserts were
/// acknowledged (201), which failed (anything else, or no answer) and the longest time one insert took (the pause a client saw).
/// </summary>
public sealed class ContinuousWriter(string slug, IReadOnlyList<HttpClient> apis) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public ConcurrentBag<string> Acknowledged { get; } = [];
    public ConcurrentBag<string> Failed { get; } = [];
    public TimeSpan LongestWrite { get; private set; }

    public ContinuousWriter Start()
    {
        _loop = Task.Run(async () =>
        {
            for (var i = 0; !_stop.IsCancellationRequested; i++)
            {
                var email = $"w{i}@{slug}.example";
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await apis[i % apis.Count].PostAsJsonAsync($"/api/tenants/{slug}/users", new { email, name = "Writer " + i });
                    (response.StatusCode == HttpStatusCode.Created ? Acknowledged : Failed).Add(
                        response.StatusCode == HttpStatusCode.Created ? email : $"{email}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
                catch (HttpRequestException e)
                {
                    Failed.Add($"{email}: {e.Message}");
                }
                var took = Stopwatch.GetElapsedTime(started);
                if (took > LongestWrite)
                {
                    LongestWrite = took;
                }
            }
        });
        return this;
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}
