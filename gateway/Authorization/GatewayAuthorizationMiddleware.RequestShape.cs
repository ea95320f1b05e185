using Gateway.Authentication;
using Gateway.BodyScope;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Policy.Access;
using Gateway.Policy.Model;
using Gateway.Routing;
using Gateway.Transforms;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Authorization;

/// <summary>Request-shape hygiene: one meaning per request.</summary>
internal sealed partial class GatewayAuthorizationMiddleware
{
    // One meaning per request: refuse what the upstream could read differently from the gateway.
    // (The raw path was already checked by RawPathMiddleware, before routing.)
    // Also reads the attribution claim (each header's one non-empty value) in the same pass over the headers.
    private string? CheckRequestShape(HttpContext context, out AttributionClaim claim)
    {
        claim = default;
        var headers = context.Request.Headers;
        // Framing two servers could compute differently (Kestrel keeps a Content-Length sent with
        // Transfer-Encoding as X-Content-Length; HTTP/1.0 has no chunked encoding): refused, not fixed up.
        if (headers.TransferEncoding.Count > 0
            && (headers.ContainsKey("X-Content-Length") || context.Request.Protocol == "HTTP/1.0" || headers.ContentLength is not null))
        {
            return ProblemCodes.AmbiguousFraming;
        }

        // HTTP/2 and HTTP/3 have no connection-specific headers (RFC 9113 8.2.2): Kestrel rejects some
        // (Connection) and passes others (Transfer-Encoding, Upgrade, Keep-Alive, a TE other than
        // "trailers"), which an HTTP/1.1 hop behind the gateway would obey.
        if (!HttpProtocol.IsHttp11(context.Request.Protocol) && !HttpProtocol.IsHttp10(context.Request.Protocol)
            && (headers.TransferEncoding.Count > 0 || headers.Upgrade.Count > 0 || headers.KeepAlive.Count > 0 || headers.ContainsKey("Proxy-Connection")
                || headers.Connection.Count > 0 || headers.TE.Count > 1 || (headers.TE.Count == 1 && !string.Equals(headers.TE[0], "trailers", StringComparison.OrdinalIgnoreCase))))
        {
            return ProblemCodes.AmbiguousFraming;
        }

        // Attribution headers are read in the same pass (no lookups per request); one sent more than
        // once is refused after it, as before: a bad header anywhere is reported first.
        var attributionTwice = false;
        string? username = null;
        string? email = null;
        foreach (var header in headers)
        {
            if (headerNames.IsUnderscoreTwin(header.Key))
            {
                return ProblemCodes.ReservedHeader;
            }

            if (!HeaderSyntax.IsValid(header.Key, header.Value))
            {
                return ProblemCodes.InvalidHeader;
            }

            var isUsername = string.Equals(header.Key, IdentityHeaderNames.AttributionUsername, StringComparison.OrdinalIgnoreCase);
            if (isUsername || string.Equals(header.Key, IdentityHeaderNames.AttributionEmail, StringComparison.OrdinalIgnoreCase))
            {
                attributionTwice |= header.Value.Count > 1;
                var single = header.Value.Count == 1 && !string.IsNullOrEmpty(header.Value[0]) ? header.Value[0] : null;
                (username, email) = isUsername ? (single, email) : (username, single);
            }
        }

        claim = new AttributionClaim(username, email);
        return attributionTwice ? ProblemCodes.ReservedHeader : null;
    }
}
