using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.ForwardAuth;

/// <summary>
/// Who may ask the authorizer listener: the proxies of <c>Gateway:Authorizer:TrustedProxies</c>, loopback
/// when none are named. The asking proxy's word about the client (its address, the original request) is
/// believed, so a caller outside them is refused before anything it says is read.
/// </summary>
internal sealed class AuthorizerCallers
{
    public const string Refusal = "This address may not ask the gateway's authorizer (Gateway:Authorizer:TrustedProxies; loopback when empty).";

    private readonly IReadOnlyList<IPNetwork> _networks;

    public AuthorizerCallers(Configuration.GatewayOptions options)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in options.Authorizer.TrustedProxies)
        {
            if (Hosting.TrustedProxies.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
        }

        _networks = networks;
    }

    public bool Allows(IPAddress? caller)
    {
        if (caller is null)
        {
            return false;
        }

        if (caller.IsIPv4MappedToIPv6)
        {
            caller = caller.MapToIPv4();
        }

        if (_networks.Count == 0)
        {
            return IPAddress.IsLoopback(caller);
        }

        foreach (var network in _networks)
        {
            if (network.Contains(caller))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// First on the authorizer listener, before routing reads anything: a caller outside the trusted proxies
    /// is refused before its request body is read, and a trusted one may send a CheckRequest with a body
    /// as large as gRPC accepts (Kestrel's own limit is lower).
    /// </summary>
    public static void UseAuthorizerGate(Microsoft.AspNetCore.Builder.WebApplication app, Hosting.GatewayListeners listeners)
    {
        var callers = app.Services.GetRequiredService<AuthorizerCallers>();
        app.UseWhen(context => listeners.KindOf(context) == Hosting.ListenerKind.Authorizer, branch => branch.Use(async (context, next) =>
        {
            if (!callers.Allows(context.Connection.RemoteIpAddress))
            {
                if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
                {
                    // Still a CheckResponse (a denial), never an RPC error Envoy's failure_mode_allow could turn into an allow.
                    await WriteGrpcAsync(context, ExtAuthzService.Answer(await ForwardAuthDecider.RefuseAsync(403, Diagnostics.ProblemCodes.AuthorizerCallerRefused, Refusal)));
                    return;
                }

                await Diagnostics.GatewayProblem.WriteAsync(context.Response, StatusCodes.Status403Forbidden, Diagnostics.ProblemCodes.AuthorizerCallerRefused, Refusal);
                return;
            }

            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = MaxCheckBytes;
            }

            await next(context);
        }));
    }

    // One gRPC message (uncompressed flag, big-endian length, the message) and an OK status in the trailers.
    private static async Task WriteGrpcAsync(HttpContext context, Google.Protobuf.IMessage message)
    {
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(message);
        var frame = new byte[5 + bytes.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)bytes.Length);
        bytes.CopyTo(frame, 5);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/grpc";
        await context.Response.Body.WriteAsync(frame, context.RequestAborted);
        context.Response.AppendTrailer("grpc-status", "0");
    }

    /// <summary>The last address of a comma-separated list (X-Forwarded-For): the one the asking proxy added. Null when it is none.</summary>
    public static IPAddress? LastAddress(string? list)
    {
        var last = list?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        return last is not null && IPAddress.TryParse(last, out var address) ? address : null;
    }

    /// <summary>The largest CheckRequest (or /verify body) accepted: a body Envoy buffered under the largest body cap.</summary>
    public const int MaxCheckBytes = 64 * 1024 * 1024;
}
