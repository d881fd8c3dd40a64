using Microsoft.AspNetCore.Diagnostics;

namespace TenantAspire.TenantApi.Problems;

/// <summary>
/// Unreadable bodies (invalid JSON, wrong types, too large) surface as <see cref="BadHttpRequestException"/>; in Development the
/// framework throws them, which would become a 500. They are the client's fault: answer with their own status as ProblemDetails.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Invalid request",
                // The framework's message names the parameter and the problem, never request data.
                Detail = bad.Message,
            },
        });
    }
}
