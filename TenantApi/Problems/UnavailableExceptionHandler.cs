using Microsoft.AspNetCore.Diagnostics;
using TenantAspire.Tenancy.Connections;

namespace TenantAspire.TenantApi.Problems;

/// <summary>
/// 503 + Retry-After problem+json, never a 500 or a hang, when the failure is "not now": no tenant connection within the budget's
/// wait, or the database went away under the request (<see cref="DatabaseUnavailable"/>: hibernated, dropped, server restarting),
/// or the backup store did not answer (a download or a restore's checksum check during a store outage).
/// </summary>
internal sealed class UnavailableExceptionHandler(IProblemDetailsService problems, ILogger<UnavailableExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        string detail;
        TimeSpan retryAfter;
        if (exception is ConnectionBudgetExhaustedException busy)
        {
            (detail, retryAfter) = (busy.Message, TimeSpan.FromSeconds(1));
        }
        else if (DatabaseUnavailable.Is(exception))
        {
            logger.LogWarning("Database unavailable for {Path}: {Reason}", httpContext.Request.Path, exception.Message);
            (detail, retryAfter) = ("The database is not reachable right now (restarting, waking, or being changed); retry shortly.",
                DatabaseUnavailable.RetryAfter);
        }
        else if (exception is Azure.RequestFailedException { Status: 0 or >= 500 } store)
        {
            logger.LogWarning("Backup store unavailable for {Path}: {Reason}", httpContext.Request.Path, store.Message);
            (detail, retryAfter) = ("The backup store is not reachable right now; retry shortly.", TimeSpan.FromSeconds(5));
        }
        else
        {
            return false;
        }
        if (httpContext.Response.HasStarted)
        {
            return false;
        }
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        Problems.SetRetryAfter(httpContext, retryAfter);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = "Service unavailable", Detail = detail },
        });
    }
}
