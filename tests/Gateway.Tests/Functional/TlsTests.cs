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
}
