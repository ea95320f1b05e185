using System.Net;
using Gateway.ForwardAuth.Envoy.Auth;
using Gateway.ForwardAuth.Envoy.Core;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Gateway.ForwardAuth;

/// <summary>
/// Envoy's external authorization service (<c>envoy.service.auth.v3.Authorization/Check</c>): the original
/// request as Envoy describes it (method, <c>:authority</c>, the request target, headers, the downstream
/// address, the body when <c>with_request_body</c> is set) is decided by <see cref="ForwardAuthDecider"/>.
/// Allowed: an OK response whose headers Envoy sets on the upstream request (overwriting) and whose
/// <c>headers_to_remove</c> drop the client's credentials and anything claiming the gateway's header
/// namespace. Refused: a denied response carrying the proxy path's status, headers and problem body, so the
/// client reads the same answer. Every answer is a CheckResponse (never an RPC error): an error would leave
/// the outcome to Envoy's <c>failure_mode_allow</c>.
/// </summary>
internal sealed partial class ExtAuthzService(ForwardAuthDecider decider, Configuration.GatewayOptions options,
    Microsoft.Extensions.Logging.ILogger<ExtAuthzService> logger) : Envoy.Auth.Authorization.AuthorizationBase
{
    // google.rpc.Code values.
    private const int Ok = 0;
    private const int PermissionDenied = 7;
    private const int ResourceExhausted = 8;
    private const int Unavailable = 14;
    private const int Unauthenticated = 16;
    private const int InvalidArgument = 3;

    public override async Task<CheckResponse> Check(CheckRequest request, ServerCallContext context)
    {
        try
        {
            return await DecideAsync(request, context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Never an RPC error for what the gateway could not decide: Envoy's failure_mode_allow would settle it.
            Log.Unexpected(logger, ex.GetType().Name);
            return Answer(await ForwardAuthDecider.RefuseAsync(503, Diagnostics.ProblemCodes.GatewayError, "The gateway could not decide this request."));
        }
    }

    private async Task<CheckResponse> DecideAsync(CheckRequest request, ServerCallContext context)
    {
        // Callers outside Gateway:Authorizer:TrustedProxies never get here (AuthorizerCallers' gate, before routing).
        var http = context.GetHttpContext();

        var described = request.Attributes?.Request?.Http;
        if (described is null || !InProcessRequest.IsTarget(described.Path) || described.Method.Length == 0 || !described.Method.All(char.IsAsciiLetterUpper))
        {
            return Answer(await ForwardAuthDecider.RefuseAsync(400, Diagnostics.ProblemCodes.InvalidCheckRequest,
                "The check request does not describe an HTTP request (attributes.request.http with a method and an origin-form path)."));
        }

        var body = described.RawBody.Length > 0 ? described.RawBody.ToByteArray()
            : described.Body.Length > 0 ? System.Text.Encoding.UTF8.GetBytes(described.Body) : null;
        var headers = new List<KeyValuePair<string, string>>();
        var partial = false;
        var declared = described.Size > 0;
        string? clientHeader = null;
        foreach (var (name, value) in Headers(described))
        {
            if (name.StartsWith(':'))
            {
                continue;
            }

            if (name.Equals("x-envoy-auth-partial-body", StringComparison.OrdinalIgnoreCase))
            {
                partial |= value.Equals("true", StringComparison.OrdinalIgnoreCase);
                continue;
            }

            if ((name.Equals("content-length", StringComparison.OrdinalIgnoreCase) && value != "0") || name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase))
            {
                declared = true;
            }

            if (options.Authorizer.ClientAddressHeader is { } configured && name.Equals(configured, StringComparison.OrdinalIgnoreCase))
            {
                clientHeader = value;
            }

            // The body's own length is set from the bytes sent, when they were.
            if (body is not null && (name.Equals("content-length", StringComparison.OrdinalIgnoreCase) || name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            headers.Add(new(name, value));
        }

        var outcome = await decider.DecideAsync(new ForwardAuthRequest(
            described.Method, described.Scheme.Length == 0 ? "http" : described.Scheme, Protocol(described.Protocol),
            described.Host.Length == 0 ? null : described.Host, described.Path, headers, body, body is not null && !partial,
            ClientOf(request.Attributes!.Source, clientHeader, options.Authorizer.ClientAddressHeader is not null) ?? http.Connection.RemoteIpAddress,
            MayAnswer: true) { BodyDeclared = declared || body is not null }, context.CancellationToken);
        return Answer(outcome);
    }

    internal static CheckResponse Answer(ForwardAuthOutcome outcome)
    {
        if (outcome.Allowed)
        {
            var ok = new OkHttpResponse();
            foreach (var (name, value) in outcome.Headers)
            {
                ok.Headers.Add(Overwrite(name, value));
            }

            ok.HeadersToRemove.AddRange(outcome.HeadersToRemove);
            return new CheckResponse { Status = new Envoy.Rpc.Status { Code = Ok }, OkResponse = ok };
        }

        var denied = new DeniedHttpResponse
        {
            Status = new Envoy.Type.HttpStatus { Code = (Envoy.Type.StatusCode)outcome.Status },
            Body = System.Text.Encoding.UTF8.GetString(outcome.Body),
        };
        foreach (var (name, value) in outcome.Headers)
        {
            // A second value of a header is added to the first, not put in its place.
            denied.Headers.Add(denied.Headers.Any(h => h.Header.Key.Equals(name, StringComparison.OrdinalIgnoreCase)) ? Append(name, value) : Overwrite(name, value));
        }

        return new CheckResponse { Status = new Envoy.Rpc.Status { Code = CodeOf(outcome.Status) }, DeniedResponse = denied };
    }

    private static IEnumerable<KeyValuePair<string, string>> Headers(AttributeContext.Types.HttpRequest described)
    {
        // With encode_raw_headers Envoy sends header_map (values as bytes) and leaves the map empty.
        if (described.HeaderMap is { Headers.Count: > 0 } map)
        {
            foreach (var header in map.Headers)
            {
                yield return new(header.Key, header.RawValue.Length > 0 ? header.RawValue.ToStringUtf8() : header.Value);
            }

            yield break;
        }

        foreach (var header in described.Headers)
        {
            yield return header;
        }
    }

    // Envoy reports "HTTP/1.0", "HTTP/1.1", "HTTP/2" or "HTTP/3".
    private static string Protocol(string protocol) => protocol switch
    {
        "HTTP/1.0" or "HTTP/2" or "HTTP/3" => protocol,
        _ => "HTTP/1.1",
    };

    // Envoy's source is the connection's peer: behind a load balancer, the balancer. With
    // Gateway:Authorizer:ClientAddressHeader the client is the last entry of that header (as the proxy in
    // front of Envoy appended it), and a request without it has no client the gateway can trust: refused.
    private static IPAddress? ClientOf(AttributeContext.Types.Peer? source, string? header, bool fromHeader)
    {
        if (fromHeader)
        {
            return AuthorizerCallers.LastAddress(header) ?? IPAddress.None;
        }

        return source?.Address?.SocketAddress?.Address is { Length: > 0 } text && IPAddress.TryParse(text, out var address) ? address : null;
    }

    // The ext_authz filter reads a set "append" first; false with OVERWRITE for newer Envoys that read only append_action.
    private static HeaderValueOption Overwrite(string name, string value) => new()
    {
        Header = new HeaderValue { Key = name, Value = value },
        Append = false,
        AppendAction = HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd,
    };

    private static HeaderValueOption Append(string name, string value) => new()
    {
        Header = new HeaderValue { Key = name, Value = value },
        Append = true,
        AppendAction = HeaderValueOption.Types.HeaderAppendAction.AppendIfExistsOrAdd,
    };

    private static int CodeOf(int status) => status switch
    {
        401 => Unauthenticated,
        429 => ResourceExhausted,
        400 => InvalidArgument,
        >= 500 => Unavailable,
        _ => PermissionDenied,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = Diagnostics.EventIds.UnexpectedFailure, EventName = "ExtAuthzUnexpectedFailure", Level = LogLevel.Error,
            Message = "Refusing an ext_authz check: unexpected {ExceptionType} while deciding.")]
        public static partial void Unexpected(ILogger logger, string exceptionType);
    }
}
