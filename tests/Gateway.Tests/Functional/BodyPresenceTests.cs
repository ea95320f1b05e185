using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// A body is a body whatever the protocol frames it with. Every body-scoped route kind (JSON, multipart,
/// OTLP, GraphQL) is sent over HTTP/1.1 with a Content-Length and chunked, over h2c and over TLS with
/// HTTP/2 both with a content-length and streamed without one (HTTP/2 has no Transfer-Encoding: a body
/// is known from the stream alone), and over TLS with HTTP/1.1 chunked. The same body naming another
/// team's project is refused on every one with nothing forwarded; the same request naming the caller's
/// own project is forwarded with exactly the bytes sent (the echo upstream decodes chunked bodies).
/// The caller is ci@ml (a team service account of ml); cv/cv-p belongs to team cv.
/// </summary>
[Collection(ProxyCollection.Name)]
public sealed class BodyPresenceTests(ProxyFixture fixture) : ProxyTestBase(fixture), IDisposable
{
    public enum Transport
    {
        Http11Length,
        Http11Chunked,
        H2cLength,
        H2cStreamed,
        TlsH2Length,
        TlsH2Streamed,
        TlsHttp11Chunked,
    }

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) => new X509Certificate2(certificate!).Thumbprint == fixture.TlsThumbprint,
        },
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    public void Dispose() => _http.Dispose();

    public static TheoryData<Transport> Transports() => new(Enum.GetValues<Transport>());

    /// <summary>A body of unknown length: HTTP/1.1 sends it chunked, HTTP/2 with no content-length, in two writes.</summary>
    private sealed class StreamedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public StreamedContent(byte[] bytes, string contentType)
        {
            _bytes = bytes;
            Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var half = _bytes.Length / 2;
            await stream.WriteAsync(_bytes.AsMemory(0, half));
            await stream.FlushAsync();
            await stream.WriteAsync(_bytes.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private async Task<(int Status, string Text, EchoRequest? Upstream, Version Version)> SendAsync(Transport transport, string path, byte[] body, string contentType,
        params (string Name, string Value)[] headers)
    {
        var (baseUrl, version, streamed) = transport switch
        {
            Transport.Http11Length => (Gw.ProxyUrl, HttpVersion.Version11, false),
            Transport.Http11Chunked => (Gw.ProxyUrl, HttpVersion.Version11, true),
            Transport.H2cLength => (Fixture.H2cUrl, HttpVersion.Version20, false),
            Transport.H2cStreamed => (Fixture.H2cUrl, HttpVersion.Version20, true),
            Transport.TlsH2Length => (Fixture.TlsUrl, HttpVersion.Version20, false),
            Transport.TlsH2Streamed => (Fixture.TlsUrl, HttpVersion.Version20, true),
            _ => (Fixture.TlsUrl, HttpVersion.Version11, true),
        };
        var marker = Marker();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, path)) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + K("ci@ml"))));
        request.Headers.TryAddWithoutValidation("X-Test-Marker", marker);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (streamed)
        {
            request.Content = new StreamedContent(body, contentType);
        }
        else
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await _http.SendAsync(request);
        Assert.Equal(version, response.Version);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), Upstream(marker), response.Version);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Multipart(string projectId)
        => Utf8($"--XyZ\r\nContent-Disposition: form-data; name=\"project_id\"\r\n\r\n{projectId}\r\n"
                + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n");

    private async Task AssertRefused(int status, string code, Task<(int Status, string Text, EchoRequest? Upstream, Version Version)> call)
    {
        var (actual, text, upstream, version) = await call;
        Assert.True(actual == status && text.Contains($"\"code\":\"{code}\"", StringComparison.Ordinal), $"HTTP/{version}: expected {status} {code}, got {actual} {text}");
        Assert.Null(upstream);
    }

    private static async Task AssertForwardedAsSent(byte[] sent, Task<(int Status, string Text, EchoRequest? Upstream, Version Version)> call)
    {
        var (status, text, upstream, version) = await call;
        Assert.True(status == 200, $"HTTP/{version}: {status} {text}");
        Assert.NotNull(upstream);
        Assert.Equal(Convert.ToBase64String(sent), upstream.BodyBase64);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task JsonBodies_AreReadOnEveryTransport(Transport transport)
    {
        // The repro: ?project_id= names the caller's project, the body another team's.
        await AssertRefused(400, "scope_conflict", SendAsync(transport, "/weave/calls/query?project_id=ml/open-p", Utf8("""{"project_id":"cv/cv-p","filter":{}}"""), "application/json"));
        // A write naming the other team's project in the body alone.
        await AssertRefused(403, "outside_service_account_scope", SendAsync(transport, "/weave/call/start", Utf8("""{"start":{"project_id":"cv/cv-p","op_name":"x"}}"""), "application/json"));
        var own = Utf8("""{"start":{"project_id":"ml/open-p","op_name":"x"}}""");
        await AssertForwardedAsSent(own, SendAsync(transport, "/weave/call/start?project_id=ml/open-p", own, "application/json"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task MultipartBodies_AreReadOnEveryTransport(Transport transport)
    {
        const string type = "multipart/form-data; boundary=XyZ";
        await AssertRefused(400, "scope_conflict", SendAsync(transport, "/weave-file/create?project_id=ml/open-p", Multipart("cv/cv-p"), type));
        await AssertRefused(403, "outside_service_account_scope", SendAsync(transport, "/weave-file/create", Multipart("cv/cv-p"), type));
        await AssertForwardedAsSent(Multipart("ml/open-p"), SendAsync(transport, "/weave-file/create?project_id=ml/open-p", Multipart("ml/open-p"), type));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task OtlpBodies_AreReadOnEveryTransport(Transport transport)
    {
        const string type = "application/x-protobuf";
        var other = GraphQL.WeaveAndOtlpTests.Export(("cv", "cv-p", null));
        await AssertRefused(400, "scope_conflict", SendAsync(transport, "/otlp/v1/traces", other, type, ("project_id", "ml/open-p")));
        await AssertRefused(403, "outside_service_account_scope", SendAsync(transport, "/otlp/v1/traces", other, type));
        var own = GraphQL.WeaveAndOtlpTests.Export(("ml", "open-p", null));
        await AssertForwardedAsSent(own, SendAsync(transport, "/otlp/v1/traces", own, type, ("project_id", "ml/open-p")));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task GraphQlBodies_AreReadOnEveryTransport(Transport transport)
    {
        await AssertRefused(403, "outside_service_account_scope",
            SendAsync(transport, "/gql", Utf8("""{"query":"{ project(name: \"cv-p\", entityName: \"cv\") { id } }"}"""), "application/json"));
        var own = Utf8("""{"query":"{ project(name: \"open-p\", entityName: \"ml\") { id } }"}""");
        await AssertForwardedAsSent(own, SendAsync(transport, "/gql", own, "application/json"));
    }

    [Fact]
    public async Task AnHttp2BodyThatDisagreesWithItsContentLength_IsAClientError_NothingForwarded()
    {
        var marker = Marker();
        (string, string)[] headers =
        [
            ("authorization", "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + K("ci@ml")))),
            ("content-type", "application/json"), ("x-test-marker", marker),
        ];
        var body = Utf8("""{"project_id":"cv/cv-p","filter":{}}""");
        // Longer than announced, shorter than announced, and announced empty: Kestrel resets the stream or
        // the gateway answers 400; either way nothing is forwarded and nothing is logged as the gateway's fault.
        foreach (var length in new[] { 5, body.Length + 100, 0 })
        {
            var answer = await RawHttp2.SendAsync(Fixture.H2cUrl, "POST", "/weave/calls/query?project_id=ml/open-p", [.. headers, ("content-length", length.ToString(System.Globalization.CultureInfo.InvariantCulture))], body[..10], body[10..]);
            Assert.True(answer.Reset || (answer.Status == 400 && answer.Body.Contains("\"code\":\"incomplete_body\"", StringComparison.Ordinal)), $"content-length {length}: {answer}");
        }

        // The control: the same frames with the right length are read and refused for what the body names.
        var right = await RawHttp2.SendAsync(Fixture.H2cUrl, "POST", "/weave/calls/query?project_id=ml/open-p", [.. headers, ("content-length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))], body[..10], body[10..]);
        Assert.True(right.Status == 400 && right.Body.Contains("\"code\":\"scope_conflict\"", StringComparison.Ordinal), right.ToString());
        // No content-length at all, in several DATA frames: read as well.
        var streamed = await RawHttp2.SendAsync(Fixture.H2cUrl, "POST", "/weave/calls/query?project_id=ml/open-p", headers, body[..3], body[3..20], body[20..]);
        Assert.True(streamed.Status == 400 && streamed.Body.Contains("\"code\":\"scope_conflict\"", StringComparison.Ordinal), streamed.ToString());
        Assert.Null(Upstream(marker));
        Assert.False(Gw.Logs.All.Contains("Failing closed", StringComparison.Ordinal), string.Join("\n", Gw.Logs.Lines.Where(l => l.Contains("Failing closed", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task TeIsNotForwarded()
    {
        var own = Utf8("""{"project_id":"ml/open-p"}""");
        var (status, text, upstream, _) = await SendAsync(Transport.H2cStreamed, "/weave/calls/query", own, "application/json", ("TE", "trailers"));
        Assert.True(status == 200, text);
        Assert.False(upstream!.Has("TE"));
    }
}
