using System.Net;
using Gateway.Authorization;
using Gateway.Routing;
using Gateway.Transforms;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Model;

namespace Gateway.ForwardAuth;

/// <summary>What another proxy says it received: the original request, its client, and whether its body came along.</summary>
internal sealed record ForwardAuthRequest(string Method, string Scheme, string Protocol, string? Host, string PathAndQuery,
    IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body, bool BodySent, IPAddress? Client, bool MayAnswer)
{
    /// <summary>The original request has a body, sent or not (a length, chunked framing): a GET on a GraphQL route then needs it too.</summary>
    public bool BodyDeclared { get; init; } = Body is not null;
}

/// <summary>
/// The decision for the asking proxy. Allowed: the headers to set on the request it forwards (the identity
/// the gateway verified, the cluster's upstream credential) and the ones to remove (the client's credentials
/// and anything in the gateway's header namespace). Otherwise the gateway's own answer, as the proxy path
/// would have written it: status, headers, body.
/// </summary>
internal sealed record ForwardAuthOutcome(bool Allowed, int Status, IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyList<string> HeadersToRemove, byte[] Body, string? Code = null);

/// <summary>
/// Decides a request another proxy asks about with the proxy's own pipeline: the request is built in process
/// (<see cref="InProcessRequest"/>) and run through the proxy listener's raw-path checks, routing, the route's
/// scope and the authorization middleware, with a <see cref="ForwardAuthFeature"/> that stops it where it
/// would be forwarded. Authentication, limits, usage, audit and refusal records are the proxy's; there is no
/// second implementation of any rule.
/// </summary>
internal sealed class ForwardAuthDecider(Explain.ProxyPipeline pipeline, IServiceProvider services, IdentityHeaderNames names, IdentityTokenSigner? signer = null)
{
    public async Task<ForwardAuthOutcome> DecideAsync(ForwardAuthRequest request, CancellationToken cancel)
    {
        var feature = new ForwardAuthFeature { BodySent = request.BodySent, BodyDeclared = request.BodyDeclared, MayAnswer = request.MayAnswer };
        await using var scope = services.CreateAsyncScope();
        using var responseBody = new MemoryStream();
        var context = InProcessRequest.Build(request.Method, request.Scheme, request.Protocol, request.Host, request.PathAndQuery,
            request.Headers, request.BodySent ? request.Body : null, request.Client, responseBody, scope.ServiceProvider, cancel);
        context.Features.Set(feature);
        await (pipeline.Next ?? throw new InvalidOperationException("The proxy pipeline was not captured."))(context);
        if (feature.Allowed && context.Features.Get<GatewayFeature>() is { } decided)
        {
            if (context.Features.Get<IReverseProxyFeature>()?.Route.Config.Transforms?.SelectMany(t => t.Keys).FirstOrDefault(k => !k.StartsWith("Path", StringComparison.Ordinal)) is { } transform)
            {
                // A path transform is the asking proxy's rewrite to make; any other (a header, a query value the
                // upstream would trust) would come from the client, as no transform runs here.
                return await RefuseAsync(403, Diagnostics.ProblemCodes.ForwardAuthUnsupported,
                    $"This route transforms the forwarded request ({transform}), which an external authorizer cannot do; route it through the gateway's proxy.");
            }

            var endpoint = context.GetEndpoint();
            var upstream = endpoint?.Metadata.GetMetadata<UpstreamCredential>() ?? UpstreamCredential.Strip;
            var audience = context.Features.Get<IReverseProxyFeature>()?.Cluster.Config.ClusterId ?? "";
            var set = new HeaderList([]);
            IdentityHeaders.Write(ref set, decided, names, upstream, context.Connection.RemoteIpAddress?.ToString(), request.Scheme, request.Host, signer, audience);
            return new ForwardAuthOutcome(true, 200, set.Headers, ToRemove(request.Headers, set.Headers), []);
        }

        return new ForwardAuthOutcome(false, context.Response.StatusCode, HeadersOf(context.Response), [], responseBody.ToArray(),
            context.Features.Get<Diagnostics.ProblemCode>()?.Code);
    }

    /// <summary>A refusal of the authorizer itself (before any decision), written as the proxy writes its problems.</summary>
    public static async Task<ForwardAuthOutcome> RefuseAsync(int status, string code, string detail)
    {
        using var body = new MemoryStream();
        var context = new DefaultHttpContext();
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        await Diagnostics.GatewayProblem.WriteAsync(context.Response, status, code, detail);
        return new ForwardAuthOutcome(false, status, HeadersOf(context.Response), [], body.ToArray(), code);
    }

    private static List<KeyValuePair<string, string>> HeadersOf(HttpResponse response)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in response.Headers)
        {
            foreach (var value in values)
            {
                if (value is not null && !string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    headers.Add(new(name, value));
                }
            }
        }

        return headers;
    }

    // What the client sent that may not reach the upstream: credentials, attribution, forwarding headers and
    // anything in the gateway's namespace (in any spelling), except what the gateway sets itself.
    private List<string> ToRemove(IReadOnlyList<KeyValuePair<string, string>> sent, IReadOnlyList<KeyValuePair<string, string>> set)
    {
        var remove = new List<string>();
        foreach (var (name, _) in sent)
        {
            if ((names.IsReserved(name) || IdentityHeaderNames.IsStripped(name) || names.IsUnderscoreTwin(name))
                && !set.Any(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
                && !remove.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                remove.Add(name.ToLowerInvariant());
            }
        }

        return remove;
    }

    private readonly struct HeaderList(List<KeyValuePair<string, string>> headers) : IHeaderSink
    {
        public List<KeyValuePair<string, string>> Headers { get; } = headers;

        public void Add(string name, string value) => Headers.Add(new(name, value));
    }
}
