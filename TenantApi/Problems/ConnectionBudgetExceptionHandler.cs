using Microsoft.AspNetCore.Diagnostics;
using TenantAspire.Tenancy.Connections;

namespace TenantAspire.TenantApi.Problems;

/// <summary>No tenant connection within the budget's wait: 503 + Retry-After, never a Postgres "too many clients".</summary>
internal sealed class ConnectionBudgetExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not ConnectionBudgetExhaustedException busy)
        {
            return false;
        }
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = "Service unavailable", Detail = busy.Message },
        });
    }
}
