using Gateway.Diagnostics;
using Gateway.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Admin;

/// <summary>Turns the admin API's expected failures into problem+json: a refusal, or 503 when the store cannot answer.</summary>
internal sealed partial class AdminProblemFilter(ILogger<AdminProblemFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (AdminProblemException ex)
        {
            if (ex.Problem.Status is 403 or 404)
            {
                Log.Denied(logger, context.HttpContext.Request.Method, context.HttpContext.Request.Path, ex.Problem.Code, RequestIds.Of(context.HttpContext));
            }

            return ex.Problem;
        }
        catch (StoreUnavailableException ex)
        {
            Log.StoreUnavailable(logger, ex);
            context.HttpContext.Response.Headers.RetryAfter = "5";
            return new GatewayProblem(503, ProblemCodes.StoreUnavailable, "The gateway cannot reach its store; nothing was changed. Retry shortly.");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AdminActionDenied, EventName = "AdminActionDenied", Level = LogLevel.Information,
            Message = "Admin request {Method} {Path} refused: {Reason} (request {RequestId}).")]
        public static partial void Denied(ILogger logger, string method, PathString path, string reason, string requestId);

        [LoggerMessage(EventId = EventIds.StoreUnavailable, EventName = "StoreUnavailable", Level = LogLevel.Error,
            Message = "An admin request failed because the store is unavailable; nothing was written.")]
        public static partial void StoreUnavailable(ILogger logger, Exception exception);
    }
}
