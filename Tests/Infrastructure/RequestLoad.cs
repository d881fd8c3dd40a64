using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace TenantAspire.Tests.Infrastructure;

/// <summary>
/// Closed-loop load for the fault tests: <c>concurrency</c> loops send requests back to back until stopped, and every answer is
/// kept (status, latency, whether a refusal was a proper problem+json with Retry-After), so a test can say exactly what clients
/// saw during a fault.
/// </summary>
public sealed class RequestLoad : IAsyncDisposable
{
    public sealed record Answer(DateTimeOffset At, HttpStatusCode? Status, double Milliseconds, bool WellFormedRefusal, string? Error);

    private readonly ConcurrentQueue<Answer> _answers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loops;

    /// <param name="pace">Pause after each answer (null: back to back, full speed).</param>
    public RequestLoad(Func<HttpClient> client, Func<HttpRequestMessage> request, int concurrency, TimeSpan? pace = null)
    {
        _loops = Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => LoopAsync(client(), request, pace))));
    }

    public IReadOnlyCollection<Answer> Answers => _answers;

    private async Task LoopAsync(HttpClient http, Func<HttpRequestMessage> request, TimeSpan? pace)
    {
        using (http)
        {
            http.Timeout = TimeSpan.FromSeconds(30); // a hang shows as an error row, not as a stuck test
            while (!_stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                var at = DateTimeOffset.UtcNow;
                try
                {
                    using var message = request();
                    using var response = await http.SendAsync(message, _stop.Token);
                    var refusal = (int)response.StatusCode is 429 or 503
                        && response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                        && response.Headers.RetryAfter is not null;
                    await response.Content.ReadAsByteArrayAsync(_stop.Token);
                    _answers.Enqueue(new(at, response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds, refusal, null));
                    if (pace is { } pause)
                    {
                        await Task.Delay(pause, _stop.Token);
                    }
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    _answers.Enqueue(new(at, null, Stopwatch.GetElapsedTime(started).TotalMilliseconds, false, e.GetType().Name + ": " + e.Message));
                    await Task.Delay(50);
                }
            }
        }
    }

    public async Task<IReadOnlyList<Answer>> StopAsync()
    {
        await _stop.CancelAsync();
        await _loops;
        return [.. _answers.OrderBy(a => a.At)];
    }

    /// <summary>"200: 812, 503: 40" — the answers by status, for the docs' table and for failure messages.</summary>
    public static string ByStatus(IEnumerable<Answer> answers) => string.Join(", ", answers
        .GroupBy(a => a.Status is { } s ? ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture) : "error")
        .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}: {g.Count()}"));

    public static double Percentile(IEnumerable<double> values, int p)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        _stop.Dispose();
    }
}
