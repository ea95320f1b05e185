using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gateway.Benchmarks;

/// <summary>A minimal OIDC issuer on 127.0.0.1 (discovery and JWKS) and an RS256 signer, for the JWT benchmarks.</summary>
internal sealed class BenchIssuer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly string _kid = "bench-key";

    private BenchIssuer(int port)
    {
        Url = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _ = ServeAsync();
    }

    public string Url { get; }

    public static BenchIssuer Start()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new BenchIssuer(port);
    }

    public string Token(string subject, string audience, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = JsonSerializer.Serialize(new { alg = "RS256", typ = "JWT", kid = _kid });
        var payload = JsonSerializer.Serialize(new { iss = Url, sub = subject, aud = audience, iat = now, exp = now + (long)lifetime.TotalSeconds, jti = Guid.NewGuid().ToString("N") });
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload));
        return input + "." + Base64Url.EncodeToString(_key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var p = _key.ExportParameters(false);
            object body = context.Request.Url!.AbsolutePath == "/jwks"
                ? new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = _kid, n = Base64Url.EncodeToString(p.Modulus), e = Base64Url.EncodeToString(p.Exponent) } } }
                : new { issuer = Url, jwks_uri = Url + "/jwks" };
            var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Close();
        _key.Dispose();
    }
}
