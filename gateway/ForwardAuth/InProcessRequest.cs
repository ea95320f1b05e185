using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Gateway.ForwardAuth;

/// <summary>
/// A request built in process, as Kestrel would present it, for the proxy listener's pipeline to decide
/// (explain's synthetic requests, and the requests an external proxy asks about). The connection is the
/// proxy listener's (local port 0 is no admin or authorizer port), its client the given address.
/// </summary>
internal static class InProcessRequest
{
    /// <summary>Set on every request built here: one feature lookup tells the pipeline a request is no client's.</summary>
    internal sealed class Marker
    {
        public static readonly Marker Instance = new();
    }

    /// <summary>
    /// An origin-form request target as a server would accept it on the request line: '/' first, then visible
    /// ASCII only (no space, control or non-ASCII character a described request could carry but a client could not send).
    /// </summary>
    public static bool IsTarget(string? target)
        => !string.IsNullOrEmpty(target) && target[0] == '/' && target.All(c => c is > ' ' and < (char)0x7f);

    public static DefaultHttpContext Build(string method, string scheme, string protocol, string? host, string pathAndQuery,
        IEnumerable<KeyValuePair<string, string>> headerList, byte[]? body, IPAddress? client, Stream responseBody,
        IServiceProvider services, CancellationToken cancel)
    {
        var query = pathAndQuery.IndexOf('?');
        var path = query < 0 ? pathAndQuery : pathAndQuery[..query];
        var headers = new HeaderDictionary();
        foreach (var (name, value) in headerList)
        {
            headers[name] = StringValues.Concat(headers[name], value);
        }

        headers["Host"] = host ?? "localhost";
        if (body is not null)
        {
            headers.ContentLength = body.Length;
        }

        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Method = method, Scheme = scheme, Protocol = protocol, PathBase = "", Path = DecodedPath(path),
            QueryString = query < 0 ? "" : pathAndQuery[query..], RawTarget = pathAndQuery, Headers = headers,
            Body = new MemoryStream(body ?? [], writable: false),
        });
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(responseBody));
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature { RemoteIpAddress = client ?? IPAddress.Loopback, LocalIpAddress = IPAddress.Loopback });
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = cancel });
        features.Set(Marker.Instance);
        return new DefaultHttpContext(features) { RequestServices = services };
    }

    // As Kestrel decodes a path: every escape but %2F, which stays encoded so a segment keeps its slash.
    private static string DecodedPath(string raw)
    {
        return string.Join("%2F", raw.Replace("%2f", "%2F", StringComparison.Ordinal).Split("%2F").Select(Uri.UnescapeDataString));
    }
}
