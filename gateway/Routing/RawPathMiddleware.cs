using Gateway.Diagnostics;
using Gateway.Hosting;
using Microsoft.AspNetCore.Http;

namespace Gateway.Routing;

/// <summary>
/// Before routing, on the proxy listener: a target that is not origin-form, or whose path has empty
/// or dot segments (in any encoding) or backslashes, is refused with 400 — whether or not a route
/// would match it, since the upstream could resolve it differently.
/// </summary>
internal sealed class RawPathMiddleware(RequestDelegate next, GatewayListeners listeners)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (listeners.KindOf(context) == ListenerKind.Proxy
            && (!RawPath.TryGet(context, out var path) || !RawPath.IsUnambiguous(path)
                || (path.Contains("%25", StringComparison.Ordinal) && !RawPath.IsUnambiguousDecoded(context.Request.Path.Value))))
        {
            return GatewayProblem.WriteAsync(context.Response, StatusCodes.Status400BadRequest, ProblemCodes.InvalidPath);
        }

        return next(context);
    }
}
