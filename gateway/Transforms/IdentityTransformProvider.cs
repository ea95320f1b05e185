using System.Globalization;
using Gateway.Authorization;
using Gateway.Diagnostics;
using Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Gateway.Transforms;

/// <summary>
/// Adds one request transform to every route: first remove everything a client could use to claim an
/// identity (the reserved prefix in any case, credentials, cookies, attribution, forwarding headers),
/// then set the identity the gateway verified and the cluster's own upstream credential. Headers are
/// set on the outgoing request after YARP has copied (and dropped the hop-by-hop ones), so nothing
/// the client sends, <c>Connection:</c> included, can remove or duplicate them.
/// </summary>
internal sealed partial class IdentityTransformProvider(IdentityHeaderNames names, ILogger<IdentityTransformProvider> logger, IdentityTokenSigner? signer = null) : ITransformProvider
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _reported = new();

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        // The gateway sets X-Forwarded-* itself, after removing the client's.
        context.UseDefaultForwarders = false;
        var errors = new List<string>();
        var upstream = context.Cluster is null ? UpstreamCredential.Strip : UpstreamCredential.Parse(context.Cluster, errors);
        // Apply runs once per route: report each cluster's missing secret once.
        if (upstream.Problem is not null && _reported.TryAdd(upstream.Problem, true))
        {
            Log.UpstreamCredentialMissing(logger, upstream.Problem);
        }

        var audience = context.Cluster?.ClusterId ?? "";
        context.AddRequestTransform(transform => ApplyAsync(transform, upstream, audience));
        if (context.Route.Metadata?.GetValueOrDefault(RouteScopeParser.ScopeKey) == "graphql")
        {
            context.AddResponseTransform(GraphQL.GraphQlResponseRewriter.ApplyAsync);
        }
    }

    private ValueTask ApplyAsync(RequestTransformContext transform, UpstreamCredential upstream, string audience)
    {
        var http = transform.HttpContext;
        var feature = http.Features.Get<GatewayFeature>();
        if (feature is null || upstream.Problem is not null)
        {
            // Never forward without a verified feature, nor without the credential the upstream expects.
            throw new InvalidOperationException(upstream.Problem ?? "A request reached the forwarder without a gateway decision.");
        }

        // YARP copied the client's headers into the outgoing message: strip what may not pass there.
        var headers = transform.ProxyRequest.Headers;
        Strip(headers);
        if (transform.ProxyRequest.Content is { } content)
        {
            Strip(content.Headers);
        }

        var remote = http.Connection.RemoteIpAddress;
        var sink = new ProxyHeaders(headers);
        IdentityHeaders.Write(ref sink, feature, names, upstream, remote is null ? null : AddressTextOf(remote), http.Request.Scheme,
            http.Request.Host.HasValue ? http.Request.Host.Value : null, signer, audience);
        return ValueTask.CompletedTask;
    }

    // One pass notes the names to remove (usually one: the client's credential), then they are removed:
    // removing while enumerating is not allowed. NonValidated's enumerator is a struct (an
    // IHeaderDictionary's is boxed on every request). More names than the buffer holds take another pass.
    private void Strip(System.Net.Http.Headers.HttpHeaders headers)
    {
        var found = default(HeaderNameBuffer);
        int count;
        do
        {
            count = 0;
            foreach (var header in headers.NonValidated)
            {
                // TE as well: YARP passes an HTTP/2 client's "TE: trailers" on (for gRPC), and over an
                // HTTP/1.1 hop it is a hop-by-hop header the upstream would obey; no tracking API uses it.
                if (names.IsReserved(header.Key) || IdentityHeaderNames.IsStripped(header.Key) || string.Equals(header.Key, "TE", StringComparison.OrdinalIgnoreCase))
                {
                    if (count == HeaderNameBuffer.Length)
                    {
                        break;
                    }

                    found[count++] = header.Key;
                }
            }

            for (var i = 0; i < count; i++)
            {
                headers.Remove(found[i]!);
            }
        }
        while (count == HeaderNameBuffer.Length);
    }

    private readonly struct ProxyHeaders(System.Net.Http.Headers.HttpRequestHeaders headers) : IHeaderSink
    {
        public void Add(string name, string value) => headers.TryAddWithoutValidation(name, value);
    }

    [System.Runtime.CompilerServices.InlineArray(Length)]
    private struct HeaderNameBuffer
    {
        public const int Length = 8;
        private string? _first;
    }

    private volatile AddressText? _lastAddress;

    // Clients come back with the same address: reuse its text instead of formatting it per request.
    // One immutable object, swapped whole, so a reader never pairs one address with another's text.
    private string AddressTextOf(System.Net.IPAddress address)
    {
        var last = _lastAddress;
        if (last is not null && last.Address.Equals(address))
        {
            return last.Text;
        }

        var text = address.ToString();
        _lastAddress = new AddressText(address, text);
        return text;
    }

    private sealed record AddressText(System.Net.IPAddress Address, string Text);

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.UpstreamCredentialMissing, EventName = "UpstreamCredentialMissing", Level = LogLevel.Warning, Message = "{Problem}")]
        public static partial void UpstreamCredentialMissing(ILogger logger, string problem);
    }
}
