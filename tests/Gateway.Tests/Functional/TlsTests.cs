using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Hosting;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// TLS on the listeners with PEM files: HTTP/1.1 and HTTP/2 (ALPN) through the whole pipeline,
/// certificate rotation without restart and without a failed request, and clear startup errors.
/// Certificates are made per test with <see cref="CertificateRequest"/> (self-signed, 127.0.0.1).
/// </summary>
public sealed class TlsTests : IDisposable
{
    private readonly TempDirectory _certs = new();

    public void Dispose() => _certs.Dispose();

    private (string Cert, string Key, string Thumbprint) WriteCertificate(string name, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, string? keyFrom = null)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-5), notAfter ?? DateTimeOffset.UtcNow.AddDays(1));
        var cert = _certs.File(name + ".crt");
        var key = _certs.File(name + ".key");
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        File.WriteAllText(key, keyFrom is null ? rsa.ExportPkcs8PrivateKeyPem() : File.ReadAllText(keyFrom));
        return (cert, key, certificate.Thumbprint);
    }

    private static string Config(Uri echo) => $$"""
    { "ReverseProxy": { "Routes": {
        "who": { "ClusterId": "c", "Match": { "Path": "/who/{**rest}" }, "Metadata": { "Gateway.Scope": "authenticated" } } },
      "Clusters": { "c": { "Destinations": { "d": { "Address": "{{echo}}" } } } } } }
    """;

    private static async Task<TestGateway> StartAsync(EchoUpstream echo, string cert, string key)
        => await TestGateway.StartAsync(_ => Config(echo.Url), "--Gateway:Proxy:Urls=https://127.0.0.1:0",
            $"--Gateway:Proxy:Certificate:Path={cert}", $"--Gateway:Proxy:Certificate:KeyPath={key}");

    private static Uri Https(TestGateway gw, string path) => new($"https://127.0.0.1:{gw.ProxyUrl.Port}{path}");

    // Trusts exactly the certificates the test made, and says which one the server presented.
    private static HttpClient Client(Func<string, bool> trusted, Action<string>? seen = null) => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                var thumbprint = new X509Certificate2(certificate!).Thumbprint;
                seen?.Invoke(thumbprint);
                return trusted(thumbprint);
            },
        },
        PooledConnectionLifetime = TimeSpan.Zero,
    })
    { Timeout = TimeSpan.FromSeconds(10) };

    private static HttpRequestMessage Get(Uri uri, string key, Version version) => new(HttpMethod.Get, uri)
    {
        Version = version,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Headers = { Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key) },
    };

    [Fact]
    public async Task Http1AndHttp2OverTls_GoThroughTheWholePipeline()
    {
        await using var echo = await EchoUpstream.StartAsync();
        var (cert, key, thumbprint) = WriteCertificate("gw");
        await using var gw = await StartAsync(echo, cert, key);
        using var http = Client(t => t == thumbprint);
        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using var response = await http.SendAsync(Get(Https(gw, "/who/x"), gw.RootKey, version));
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal(version, response.Version);
            var upstream = echo.Received.Last();
            Assert.Equal("root", upstream.Single("X-Gateway-Principal"));
            Assert.Equal("https", upstream.Single("X-Forwarded-Proto"));
            Assert.False(upstream.Has("Authorization"));

            using var refused = await http.SendAsync(Get(Https(gw, "/who/x"), "gw_wrong", version));
            Assert.Equal(401, (int)refused.StatusCode);
        }

        // Plain HTTP on the TLS port is not served.
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync($"http://127.0.0.1:{gw.ProxyUrl.Port}/who/x"));
    }

    [Fact]
    public async Task H2c_OnlyWhenAskedFor_ByTheH2cScheme()
    {
        await using var echo = await EchoUpstream.StartAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        HttpRequestMessage Request(TestGateway gw, Version version) => Get(new Uri($"http://127.0.0.1:{gw.ProxyUrl.Port}/who/x"), gw.RootKey, version);

        // An http:// listener speaks HTTP/1.1 only: HTTP/2 with prior knowledge is not served.
        await using (var plain = await TestGateway.StartAsync(_ => Config(echo.Url)))
        {
            using var ok = await http.SendAsync(Request(plain, HttpVersion.Version11));
            Assert.Equal(200, (int)ok.StatusCode);
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.SendAsync(Request(plain, HttpVersion.Version20)));
        }

        // h2c:// is plain HTTP/2 with prior knowledge (an inner hop behind a load balancer), the same pipeline.
        await using var gw = await TestGateway.StartAsync(_ => Config(echo.Url), "--Gateway:Proxy:Urls=h2c://127.0.0.1:0");
        using (var response = await http.SendAsync(Request(gw, HttpVersion.Version20)))
        {
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal(HttpVersion.Version20, response.Version);
            Assert.Equal("root", echo.Received.Last().Single("X-Gateway-Principal"));
            Assert.Equal("http", echo.Received.Last().Single("X-Forwarded-Proto"));
        }

        using (var refused = await http.SendAsync(Get(new Uri($"http://127.0.0.1:{gw.ProxyUrl.Port}/who/x"), "gw_wrong", HttpVersion.Version20)))
        {
            Assert.Equal(401, (int)refused.StatusCode);
        }

        // HTTP/1.1 on an h2c listener: Kestrel's own 400, nothing forwarded.
        var forwarded = echo.Received.Count;
        using (var http1 = await http.SendAsync(Request(gw, HttpVersion.Version11)))
        {
            Assert.Equal(400, (int)http1.StatusCode);
            Assert.Equal(forwarded, echo.Received.Count);
        }

        var (exit, output, error) = await CurlAsync("--http2-prior-knowledge", "--header", "Authorization: Bearer " + gw.RootKey, $"http://127.0.0.1:{gw.ProxyUrl.Port}/who/x");
        Assert.True(exit == 0, error);
        Assert.Equal("200 2", output);
    }

    private static async Task<(int Exit, string Output, string Error)> CurlAsync(params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["--silent", "--show-error", "--max-time", "10", "--output", "/dev/null", "--write-out", "%{http_code} %{http_version}", .. args])
        {
            info.ArgumentList.Add(arg);
        }

        using var curl = System.Diagnostics.Process.Start(info)!;
        var output = await curl.StandardOutput.ReadToEndAsync();
        var error = await curl.StandardError.ReadToEndAsync();
        await curl.WaitForExitAsync();
        return (curl.ExitCode, output, error);
    }

    [Fact]
    public async Task Curl_OverHttp2_VerifiesTheCertificateAndIsServed()
    {
        await using var echo = await EchoUpstream.StartAsync();
        var (cert, key, _) = WriteCertificate("gw");
        await using var gw = await StartAsync(echo, cert, key);
        var (exit, output, error) = await CurlAsync("--http2", "--cacert", cert, "--header", "Authorization: Bearer " + gw.RootKey, Https(gw, "/who/x").ToString());
        Assert.True(exit == 0, error);
        Assert.Equal("200 2", output);
        Assert.Equal("root", echo.Received.Last().Single("X-Gateway-Principal"));
    }

    [Fact]
    public async Task ACertificateRotation_IsPickedUpWithoutRestart_AndNoRequestFails()
    {
        await using var echo = await EchoUpstream.StartAsync();
        var first = WriteCertificate("gw");
        var trusted = new System.Collections.Concurrent.ConcurrentDictionary<string, bool> { [first.Thumbprint] = true };
        await using var gw = await StartAsync(echo, first.Cert, first.Key);

        var failures = 0;
        var served = 0;
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            // A new connection (and so a new handshake) for every request.
            using var http = Client(t => trusted.ContainsKey(t));
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await http.SendAsync(Get(Https(gw, "/who/x"), gw.RootKey, HttpVersion.Version11));
                    if ((int)response.StatusCode == 200)
                    {
                        Interlocked.Increment(ref served);
                    }
                    else
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();

        await Task.Delay(500);
        // The rotation as a tool would do it, file by file (the pair is briefly mismatched on disk).
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=gw-rotated", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var rotated = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        trusted[rotated.Thumbprint] = true;
        await File.WriteAllTextAsync(first.Cert, rotated.ExportCertificatePem());
        await Task.Delay(1500); // a handshake in between sees a new certificate with the old key: refused, old one kept
        await File.WriteAllTextAsync(first.Key, rsa.ExportPkcs8PrivateKeyPem());

        string? presented = null;
        using var probe = Client(_ => true, t => presented = t);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (presented != rotated.Thumbprint && DateTime.UtcNow < deadline)
        {
            using var response = await probe.SendAsync(Get(Https(gw, "/who/x"), gw.RootKey, HttpVersion.Version11));
            await Task.Delay(200);
        }

        await Task.Delay(500);
        stop.Cancel();
        await Task.WhenAll(load);
        Assert.Equal(rotated.Thumbprint, presented);
        Assert.Equal(0, failures);
        Assert.True(served > 10, $"only {served} requests were served");
        Assert.Contains(gw.Logs.Lines, l => l.Contains("CN=gw-rotated"));
    }

    [Fact]
    public void BadCertificates_AreStartupErrors()
    {
        using var dir = new TempDirectory();
        var good = WriteCertificate("good");
        var expired = WriteCertificate("old", DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1));
        var future = WriteCertificate("future", DateTimeOffset.UtcNow.AddDays(1), DateTimeOffset.UtcNow.AddDays(10));
        var mismatched = WriteCertificate("mismatched", keyFrom: good.Key);
        File.WriteAllText(mismatched.Key, File.ReadAllText(WriteCertificate("other").Key));

        string[] Errors(params string[] args)
        {
            var ex = Assert.Throws<GatewayStartupException>(() => GatewayApp.Build(
                ["--Gateway:Store:Path=" + dir.File("gateway.db"), "--Gateway:Admin:Urls=http://127.0.0.1:0", .. args]));
            return [.. ex.Errors];
        }

        Assert.Contains(Errors("--Gateway:Proxy:Urls=https://127.0.0.1:0"), e => e.Contains("Gateway:Proxy:Certificate:Path and Gateway:Proxy:Certificate:KeyPath"));
        Assert.Contains(Errors("--Gateway:Proxy:Urls=https://127.0.0.1:0", "--Gateway:Proxy:Certificate:Path=" + dir.File("missing.crt"), "--Gateway:Proxy:Certificate:KeyPath=" + good.Key),
            e => e.Contains("does not exist"));
        Assert.Contains(Errors("--Gateway:Proxy:Urls=https://127.0.0.1:0", "--Gateway:Proxy:Certificate:Path=" + expired.Cert, "--Gateway:Proxy:Certificate:KeyPath=" + expired.Key),
            e => e.Contains("expired at"));
        Assert.Contains(Errors("--Gateway:Proxy:Urls=https://127.0.0.1:0", "--Gateway:Proxy:Certificate:Path=" + future.Cert, "--Gateway:Proxy:Certificate:KeyPath=" + future.Key),
            e => e.Contains("is not valid before"));
        Assert.Contains(Errors("--Gateway:Proxy:Urls=https://127.0.0.1:0", "--Gateway:Proxy:Certificate:Path=" + mismatched.Cert, "--Gateway:Proxy:Certificate:KeyPath=" + mismatched.Key),
            e => e.Contains("not a readable PEM certificate and its private key"));
        Assert.Contains(Errors("--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Proxy:Certificate:Path=" + good.Cert, "--Gateway:Proxy:Certificate:KeyPath=" + good.Key),
            e => e.Contains("has no https:// URL"));
        Assert.Contains(Errors("--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Admin:Urls=https://127.0.0.1:0"),
            e => e.Contains("Gateway:Admin:Certificate:Path"));
        Assert.False(File.Exists(dir.File("gateway.db")), "a refused start must not touch the store");
    }

    [Theory]
    [InlineData(40, 1024)]     // a 40 KiB header list (over MaxRequestHeadersTotalSize)
    [InlineData(1, 20 * 1024)] // one 20 KiB field (over Http2MaxRequestHeaderFieldSize)
    public async Task OversizedHeaderListsOverHttp2_AreRefused_NothingForwarded(int count, int size)
    {
        await using var echo = await EchoUpstream.StartAsync();
        var (cert, key, thumbprint) = WriteCertificate("gw");
        await using var gw = await StartAsync(echo, cert, key);
        using var http = Client(t => t == thumbprint);
        var request = Get(Https(gw, "/who/x"), gw.RootKey, HttpVersion.Version20);
        for (var i = 0; i < count; i++)
        {
            request.Headers.TryAddWithoutValidation($"X-Big-{i}", new string('a', size));
        }

        try
        {
            using var response = await http.SendAsync(request);
            Assert.Equal(431, (int)response.StatusCode);
        }
        catch (HttpRequestException)
        {
            // Kestrel may answer with a stream or connection error instead: refused either way.
        }

        Assert.Empty(echo.Received);
        using var fine = await http.SendAsync(Get(Https(gw, "/who/x"), gw.RootKey, HttpVersion.Version20));
        Assert.Equal(200, (int)fine.StatusCode);
    }

    private static byte[] Frame(byte type, byte flags, int stream, byte[] payload) => RawHttp2.Frame(type, flags, stream, payload);

    // The client preface, SETTINGS, and per stream a HEADERS frame (:method GET, :scheme https, :path /
    // from the static table, :authority literal), optionally followed by RST_STREAM CANCEL.
    private static byte[] Streams(int count, bool reset)
    {
        byte[] headers = [0x82, 0x87, 0x84, 0x01, 9, .. "127.0.0.1"u8.ToArray()];
        using var frames = new MemoryStream();
        frames.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        frames.Write(Frame(0x4, 0, 0, []));
        for (var stream = 1; stream < 2 * count; stream += 2)
        {
            frames.Write(Frame(0x1, 0x4 | 0x1, stream, headers));
            if (reset)
            {
                frames.Write(Frame(0x3, 0, stream, [0, 0, 0, 0x8]));
            }
        }

        return frames.ToArray();
    }

    private static async Task<SslStream> Http2Async(TestGateway gw, string thumbprint, System.Net.Sockets.TcpClient tcp)
    {
        await tcp.ConnectAsync(IPAddress.Loopback, gw.ProxyUrl.Port);
        var tls = new SslStream(tcp.GetStream(), false, (_, c, _, _) => new X509Certificate2(c!).Thumbprint == thumbprint);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.1", ApplicationProtocols = [SslApplicationProtocol.Http2] });
        Assert.Equal(SslApplicationProtocol.Http2, tls.NegotiatedApplicationProtocol);
        return tls;
    }

    [Fact]
    public async Task HandWrittenHttp2Frames_AreAnsweredStreamByStream()
    {
        // The control for the flood below: the same frames, not reset, get one answer each (401: no credential).
        await using var echo = await EchoUpstream.StartAsync();
        var (cert, key, thumbprint) = WriteCertificate("gw");
        await using var gw = await StartAsync(echo, cert, key);
        using var tcp = new System.Net.Sockets.TcpClient();
        await using var tls = await Http2Async(gw, thumbprint, tcp);
        await tls.WriteAsync(Streams(3, reset: false));
        var answered = new HashSet<int>();
        var pending = new List<byte>();
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (answered.Count < 3)
        {
            var read = await tls.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "the server closed the connection");
            pending.AddRange(buffer.AsSpan(0, read).ToArray());
            while (pending.Count >= 9 && pending.Count >= 9 + ((pending[0] << 16) | (pending[1] << 8) | pending[2]))
            {
                var length = (pending[0] << 16) | (pending[1] << 8) | pending[2];
                Assert.False(pending[3] == 0x7, "GOAWAY: the frames were not valid");
                if (pending[3] == 0x1)
                {
                    answered.Add(System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(pending.GetRange(5, 4).ToArray()) & 0x7fffffff);
                }

                pending.RemoveRange(0, 9 + length);
            }
        }

        Assert.Equal([1, 3, 5], answered.Order());
        Assert.Empty(echo.Received);
    }

    // One request (HEADERS on stream 1) on a fresh connection; the server's first answer to it:
    // HEADERS (the first byte of its header block), RST_STREAM or GOAWAY (the error code's last byte).
    private async Task<(byte Type, byte First)> OneStreamAsync(TestGateway gw, string thumbprint, byte[] block)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await using var tls = await Http2Async(gw, thumbprint, tcp);
        using var frames = new MemoryStream();
        frames.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        frames.Write(Frame(0x4, 0, 0, []));
        frames.Write(Frame(0x1, 0x4 | 0x1, 1, block));
        await tls.WriteAsync(frames.ToArray());
        var pending = new List<byte>();
        var buffer = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            var read = await tls.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "the server closed the connection without an answer");
            pending.AddRange(buffer.AsSpan(0, read).ToArray());
            while (pending.Count >= 9 && pending.Count >= 9 + ((pending[0] << 16) | (pending[1] << 8) | pending[2]))
            {
                var length = (pending[0] << 16) | (pending[1] << 8) | pending[2];
                var (type, stream) = (pending[3], System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(pending.GetRange(5, 4).ToArray()) & 0x7fffffff);
                if ((stream == 1 && type is 0x1 or 0x3) || type == 0x7)
                {
                    return (type, type switch { 0x1 => pending[9], 0x3 => pending[9 + 3], _ => pending[9 + 7] });
                }

                pending.RemoveRange(0, 9 + length);
            }
        }
    }

    [Fact]
    public async Task Http2PseudoHeaderAndConnectionHeaderAbuse_IsRefused()
    {
        await using var echo = await EchoUpstream.StartAsync();
        var (cert, key, thumbprint) = WriteCertificate("gw");
        await using var gw = await StartAsync(echo, cert, key);
        static byte[] Literal(string name, string value) => [0x00, (byte)name.Length, .. System.Text.Encoding.ASCII.GetBytes(name), (byte)value.Length, .. System.Text.Encoding.ASCII.GetBytes(value)];
        static byte[] Request(string path, params byte[] more) => [0x82, 0x87, 0x04, (byte)path.Length, .. System.Text.Encoding.ASCII.GetBytes(path), 0x01, 9, .. "127.0.0.1"u8.ToArray(), .. more];

        // A :path with a parameterized dot segment: refused by the raw-path check as on HTTP/1.1 (:status 400, static index 0x8c).
        Assert.Equal(((byte)0x1, (byte)0x8c), await OneStreamAsync(gw, thumbprint, Request("/who/..;/x")));
        Assert.Equal(((byte)0x1, (byte)0x8c), await OneStreamAsync(gw, thumbprint, Request("/who/%2e%2e/x")));
        // Connection-specific headers are malformed in HTTP/2 (RFC 9113 8.2.2): a stream or connection PROTOCOL_ERROR.
        // Kestrel refuses some itself (a PROTOCOL_ERROR); the ones it passes on (Transfer-Encoding was one)
        // the gateway refuses with 400, since an HTTP/1.1 hop behind it would obey them.
        Assert.Equal(((byte)0x1, (byte)0x8c), await OneStreamAsync(gw, thumbprint, Request("/who/x", Literal("transfer-encoding", "chunked"))));
        foreach (var header in new[] { Literal("connection", "keep-alive"), Literal("upgrade", "h2c"), Literal("keep-alive", "timeout=5"), Literal("te", "gzip"), Literal("proxy-connection", "close") })
        {
            var (type, code) = await OneStreamAsync(gw, thumbprint, Request("/who/x", header));
            Assert.True((type is 0x3 or 0x7 && code == 0x1) || (type == 0x1 && code == 0x8c),
                $"{System.Text.Encoding.ASCII.GetString(header, 2, header[1])}: frame type {type}, first byte {code:x2}");
        }

        // The control: the same frames without abuse get an answer (401: no credential; not in the static table).
        var (controlType, controlFirst) = await OneStreamAsync(gw, thumbprint, Request("/who/x"));
        Assert.Equal((byte)0x1, controlType);
        Assert.NotEqual((byte)0x8c, controlFirst);
        Assert.Empty(echo.Received);
    }

    [Fact]
    public async Task RapidResetOverHttp2_IsBounded_AndTheGatewayKeepsServing()
    {
        await using var echo = await EchoUpstream.StartAsync();
        var (cert, key, thumbprint) = WriteCertificate("gw");
        await using var gw = await StartAsync(echo, cert, key);

        // CVE-2023-44487: HEADERS then RST_STREAM for 5 000 streams on one connection, as fast as possible.
        var started = System.Diagnostics.Stopwatch.StartNew();
        using (var tcp = new System.Net.Sockets.TcpClient())
        {
            await using var tls = await Http2Async(gw, thumbprint, tcp);
            var reader = Task.Run(async () =>
            {
                var buffer = new byte[64 * 1024];
                using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    while (await tls.ReadAsync(buffer, quiet.Token) > 0)
                    {
                    }
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException)
                {
                }
            });
            try
            {
                await tls.WriteAsync(Streams(5000, reset: true));
                await tls.FlushAsync();
            }
            catch (IOException)
            {
                // Kestrel may abort the connection mid-flood ("exceeded the output operations maximum queue size").
            }

            await reader;
        }

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"the flood took {started.Elapsed}");
        Assert.Empty(echo.Received); // no credential: nothing of the flood was forwarded
        using var http = Client(t => t == thumbprint);
        using var fine = await http.SendAsync(Get(Https(gw, "/who/x"), gw.RootKey, HttpVersion.Version20));
        Assert.Equal(200, (int)fine.StatusCode);
    }
}
