using System.Diagnostics;

namespace Gateway.Diagnostics;

/// <summary>
/// Spans of the decision pipeline (authenticate, scope, decide, forward) with the route, outcome and
/// reason code: never a credential, a body or a query string. Without a listener (tracing not
/// configured) <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and costs a
/// flag check. The forward span is current while YARP sends, so the upstream receives its W3C
/// <c>traceparent</c> (the client's own is replaced, never trusted).
/// </summary>
internal static class GatewayTracing
{
    public const string SourceName = "Gateway";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>False unless tracing is configured: callers skip building span arguments.</summary>
    public static bool HasListeners => Source.HasListeners();

    public static void End(Activity? activity, string outcome, string? reason = null)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("gateway.outcome", outcome);
        if (reason is not null)
        {
            activity.SetTag("gateway.reason", reason);
        }

        if (outcome is "denied" or "failed" or "error")
        {
            activity.SetStatus(ActivityStatusCode.Error, reason);
        }

        activity.Dispose();
    }

    /// <summary>
    /// The request's span, a child of the client's W3C <c>traceparent</c> when it sent a valid one (ids
    /// only: a trace context grants nothing).
    /// </summary>
    public static Activity? StartRequest(Microsoft.AspNetCore.Http.HttpRequest request, string route)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var parent = request.Headers["traceparent"] is [{ } traceparent]
            && ActivityContext.TryParse(traceparent, request.Headers["tracestate"] is [{ } state] ? state : null, isRemote: true, out var context)
                ? context
                : default;
        // ASP.NET Core's own request activity may be current without being sampled (its source is not
        // listened to): with no traceparent the gateway's span is a root, never a child of that one.
        var ambient = Activity.Current;
        Activity.Current = null;
        var activity = Source.StartActivity("gateway.request", ActivityKind.Server, parent)?.SetTag("gateway.route", route);
        if (activity is null)
        {
            Activity.Current = ambient;
        }

        return activity;
    }

    public static Activity? Start(string name, string route)
        => Source.HasListeners() ? Source.StartActivity(name)?.SetTag("gateway.route", route) : null;
}
