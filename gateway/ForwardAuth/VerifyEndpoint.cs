using System.Net;
using Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.ForwardAuth;

/// <summary>
/// Forward-auth on the authorizer listener, for proxies that ask with an HTTP request of their own:
/// Traefik's <c>forwardAuth</c> (<c>X-Forwarded-Method</c>, <c>-Proto</c>, <c>-Host</c>, <c>-Uri</c>,
/// <c>-For</c>; the body with <c>forwardBody</c>) and nginx's <c>auth_request</c> (<c>X-Original-Method</c>
/// and <c>X-Original-URI</c> set in its configuration; never a body). The original request's headers are
/// the asking request's own. Allowed: 200 with the identity headers for the proxy to set on the forwarded
/// request. Refused: the proxy path's status, headers and problem body (<c>/verify</c>), or, for nginx,
/// whose <c>auth_request</c> passes on only 401 and 403 and makes any other status a 500,
/// <c>/verify/auth-request</c>: 401 stays, a 5xx stays, every other refusal is a 403, with the real status
/// and code in <c>X-Gateway-Status</c> and <c>X-Gateway-Code</c> (header prefix as configured).
/// </summary>
internal static class VerifyEndpoint
{
    private static readonly string[] NotForwarded =
    [
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Proxy-Connection", "TE", "Trailer",
        "X-Forwarded-Method", "X-Forwarded-Uri", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Prefix",
        "X-Original-Method", "X-Original-URI", "X-Real-IP",
    ];

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.Map("/verify", (HttpContext context, ForwardAuthDecider decider, Transforms.IdentityHeaderNames names)
            => VerifyAsync(context, decider, names, nginx: false)).WithMetadata(ListenerMetadata.Authorizer);
        endpoints.Map("/verify/auth-request", (HttpContext context, ForwardAuthDecider decider, Transforms.IdentityHeaderNames names)
            => VerifyAsync(context, decider, names, nginx: true)).WithMetadata(ListenerMetadata.Authorizer);
    }

    // Callers outside Gateway:Authorizer:TrustedProxies never get here (AuthorizerCallers' gate, before routing).
    private static async Task VerifyAsync(HttpContext context, ForwardAuthDecider decider, Transforms.IdentityHeaderNames names, bool nginx)
    {
        var request = context.Request;
        ForwardAuthOutcome outcome;
        if (Original(request, nginx) is not { } original)
        {
            outcome = await ForwardAuthDecider.RefuseAsync(400, Diagnostics.ProblemCodes.InvalidCheckRequest, nginx
                ? "Name the original request once, with X-Original-Method and X-Original-URI (set by nginx), the URI starting with '/', and no X-Forwarded-Method or X-Forwarded-Uri."
                : "Name the original request once, with X-Forwarded-Method and X-Forwarded-Uri (set by Traefik), the URI starting with '/', and no X-Original-Method or X-Original-URI.");
        }
        else if (request.Headers.Keys.FirstOrDefault(names.IsReserved) is { } reserved)
        {
            // The asking proxy sets the identity headers it is given, but cannot remove a name it was not
            // told: a client's own header in the gateway's namespace would reach the upstream.
            outcome = await ForwardAuthDecider.RefuseAsync(400, Diagnostics.ProblemCodes.ReservedHeader,
                $"The request carries {reserved}, a header in the gateway's namespace that only the gateway sets.");
        }
        else
        {
            var headers = new List<KeyValuePair<string, string>>();
            foreach (var (name, values) in request.Headers)
            {
                if (!NotForwarded.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    foreach (var value in values)
                    {
                        headers.Add(new(name, value ?? ""));
                    }
                }
            }

            byte[]? body = null;
            if (request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0))
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer, context.RequestAborted);
                body = buffer.Length > 0 ? buffer.ToArray() : null;
            }

            outcome = await decider.DecideAsync(new ForwardAuthRequest(original.Method, original.Scheme, request.Protocol, original.Host,
                original.Uri, headers, body, body is not null, ClientOf(request) ?? context.Connection.RemoteIpAddress, MayAnswer: false), context.RequestAborted);
        }

        var response = context.Response;
        var status = outcome.Status;
        if (!outcome.Allowed && nginx && status is not (401 or >= 500))
        {
            response.Headers[names.Prefix + "Status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            status = 403;
        }

        response.StatusCode = status;
        foreach (var (name, value) in outcome.Headers)
        {
            response.Headers.Append(name, value);
        }

        if (!outcome.Allowed && outcome.Code is { } code)
        {
            response.Headers[names.Prefix + "Code"] = code;
        }

        response.ContentLength = outcome.Body.Length;
        await response.Body.WriteAsync(outcome.Body, context.RequestAborted);
    }

    private sealed record OriginalRequest(string Method, string Uri, string? Host, string Scheme);

    // Each endpoint reads the one pair its proxy sets, and refuses the other: nginx passes every header the
    // client sent on to its auth request, so a client's own X-Forwarded-Uri must never be read as the request.
    private static OriginalRequest? Original(HttpRequest request, bool nginx)
    {
        var headers = request.Headers;
        var (methodName, uriName) = nginx ? ("X-Original-Method", "X-Original-URI") : ("X-Forwarded-Method", "X-Forwarded-Uri");
        var (otherMethod, otherUri) = nginx ? ("X-Forwarded-Method", "X-Forwarded-Uri") : ("X-Original-Method", "X-Original-URI");
        if (headers.ContainsKey(otherMethod) || headers.ContainsKey(otherUri)
            || headers[methodName].Count != 1 || headers[uriName].Count != 1 || headers["X-Forwarded-Host"].Count > 1 || headers["X-Forwarded-Proto"].Count > 1)
        {
            return null;
        }

        var method = headers[methodName][0];
        var uri = headers[uriName][0];
        if (string.IsNullOrEmpty(method) || !InProcessRequest.IsTarget(uri) || !method.All(char.IsAsciiLetterUpper))
        {
            return null;
        }

        var host = First(headers, "X-Forwarded-Host") ?? (request.Host.HasValue ? request.Host.Value : null);
        var scheme = First(headers, "X-Forwarded-Proto") is "https" ? "https" : "http";
        return new OriginalRequest(method, uri!, host, scheme);
    }

    private static string? First(IHeaderDictionary headers, string name) => headers.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    // The client as the asking proxy saw it: X-Real-IP (nginx), else the last X-Forwarded-For entry, the one
    // the asking proxy added (Traefik appends; nginx is configured to set $remote_addr).
    private static IPAddress? ClientOf(HttpRequest request)
    {
        if (First(request.Headers, "X-Real-IP") is { } real && IPAddress.TryParse(real.Trim(), out var address))
        {
            return address;
        }

        return AuthorizerCallers.LastAddress(request.Headers["X-Forwarded-For"].ToString());
    }
}
