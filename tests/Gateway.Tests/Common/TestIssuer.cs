using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Common;

/// <summary>
/// A real OpenID Connect issuer on 127.0.0.1: discovery and JWKS over HTTP, RSA and EC signing keys
/// that can be rotated, an outage switch, and a counter of key-set fetches. Tokens are built by hand
/// so tests can also build the malformed and hostile ones a careful attacker would.
/// </summary>
public sealed partial class TestIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly object _gate = new();
    private List<SigningKey> _published = [];
    private int _jwksFetches;
    private int _discoveryFetches;

    private TestIssuer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url.ToString().TrimEnd('/');
    }

    /// <summary>The issuer identifier (<c>iss</c>): http://127.0.0.1:port, no trailing slash.</summary>
    public string Url { get; }

    /// <summary>While true, discovery and JWKS answer 503.</summary>
    public volatile bool Down;

    /// <summary>How long discovery and JWKS take to answer (a slow issuer).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>When set, served as the JWKS instead of the published keys.</summary>
    public volatile string? JwksBody;

    /// <summary>When set, the discovery document names this issuer instead of its own URL.</summary>
    public volatile string? DiscoveryIssuer;

    public int JwksFetches => Volatile.Read(ref _jwksFetches);

    public int DiscoveryFetches => Volatile.Read(ref _discoveryFetches);

    /// <summary>The key tokens are signed with by default.</summary>
    public SigningKey Current { get; private set; } = null!;

    public static async Task<TestIssuer> StartAsync()
    {
        TestIssuer? issuer = null;
        var (app, url) = await LoopbackHost.StartAsync(app =>
        {
            app.MapGet("/.well-known/openid-configuration", async (HttpContext http) =>
            {
                await Task.Delay(issuer!.Delay, http.RequestAborted);
                return issuer.Discovery(http);
            });
            app.MapGet("/jwks", async (HttpContext http) =>
            {
                await Task.Delay(issuer!.Delay, http.RequestAborted);
                return issuer.Jwks(http);
            });
            app.MapGet("/authorize", (HttpContext http) => issuer!.Authorize(http));
            app.MapPost("/token", (Func<HttpContext, Task<IResult>>)(http => issuer!.RedeemAsync(http)));
        });
        issuer = new TestIssuer(app, url);
        issuer.Rotate();
        return issuer;
    }

    /// <summary>A new RSA key becomes the signing key; the old ones are no longer published.</summary>
    public SigningKey Rotate(bool keepOld = false)
    {
        var key = SigningKey.NewRsa();
        lock (_gate)
        {
            _published = keepOld ? [.. _published, key] : [key];
            Current = key;
        }

        return key;
    }

    /// <summary>Publishes an extra key without signing with it.</summary>
    public void Publish(SigningKey key)
    {
        lock (_gate)
        {
            _published = [.. _published, key];
        }
    }

    /// <summary>A token with the usual claims; <paramref name="edit"/> changes header and payload before signing.</summary>
    public string Token(string subject, string audience = "acme", TimeSpan? lifetime = null, Action<JsonObject, JsonObject>? edit = null, SigningKey? key = null)
    {
        key ??= Current;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["alg"] = key.Algorithm, ["typ"] = "JWT", ["kid"] = key.KeyId };
        var payload = new JsonObject
        {
            ["iss"] = Url, ["sub"] = subject, ["aud"] = audience, ["iat"] = now,
            ["exp"] = now + (long)(lifetime ?? TimeSpan.FromMinutes(10)).TotalSeconds, ["jti"] = Guid.NewGuid().ToString("N"),
        };
        edit?.Invoke(header, payload);
        return Sign(header.ToJsonString(), payload.ToJsonString(), key);
    }

    /// <summary>Signs exactly the given header and payload text (duplicate names and all).</summary>
    public static string Sign(string headerJson, string payloadJson, SigningKey key)
    {
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(headerJson)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payloadJson));
        return input + "." + Base64Url.EncodeToString(key.SignData(Encoding.ASCII.GetBytes(input)));
    }

    private IResult Discovery(HttpContext http)
    {
        Interlocked.Increment(ref _discoveryFetches);
        return Down
            ? Results.StatusCode(503)
            : Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = DiscoveryIssuer ?? Url, ["jwks_uri"] = Url + "/jwks", ["id_token_signing_alg_values_supported"] = new[] { "RS256", "ES256" },
                ["authorization_endpoint"] = Url + "/authorize", ["token_endpoint"] = TokenEndpoint ?? Url + "/token", ["response_types_supported"] = new[] { "code" },
                ["subject_types_supported"] = new[] { "public" }, ["code_challenge_methods_supported"] = new[] { "S256" },
                ["scopes_supported"] = new[] { "openid", "email", "profile" },
            });
    }

    private IResult Jwks(HttpContext http)
    {
        Interlocked.Increment(ref _jwksFetches);
        if (Down)
        {
            return Results.StatusCode(503);
        }

        if (JwksBody is { } body)
        {
            return Results.Text(body, "application/json");
        }

        List<SigningKey> published;
        lock (_gate)
        {
            published = _published;
        }

        return Results.Text(new JsonObject { ["keys"] = new JsonArray([.. published.Select(k => (JsonNode)k.Jwk())]) }.ToJsonString(), "application/json");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A signing key with its public JWK.</summary>
public sealed class SigningKey
{
    private readonly RSA? _rsa;
    private readonly ECDsa? _ec;

    private SigningKey(RSA? rsa, ECDsa? ec, string algorithm)
    {
        _rsa = rsa;
        _ec = ec;
        Algorithm = algorithm;
        KeyId = "k" + Guid.NewGuid().ToString("N")[..12];
    }

    public string KeyId { get; }

    public string Algorithm { get; }

    public static SigningKey NewRsa(int bits = 2048) => new(RSA.Create(bits), null, "RS256");

    public static SigningKey NewEc() => new(null, ECDsa.Create(ECCurve.NamedCurves.nistP256), "ES256");

    /// <summary>The public RSA modulus and exponent (for the HS256-with-public-key attack).</summary>
    public byte[] PublicBytes => _rsa is not null ? _rsa.ExportSubjectPublicKeyInfo() : _ec!.ExportSubjectPublicKeyInfo();

    public byte[] SignData(byte[] input) => _rsa is not null
        ? _rsa.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
        : _ec!.SignData(input, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public JsonObject Jwk()
    {
        if (_rsa is not null)
        {
            var p = _rsa.ExportParameters(false);
            return new JsonObject { ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = KeyId, ["n"] = Base64Url.EncodeToString(p.Modulus), ["e"] = Base64Url.EncodeToString(p.Exponent) };
        }

        var q = _ec!.ExportParameters(false).Q;
        return new JsonObject { ["kty"] = "EC", ["use"] = "sig", ["alg"] = "ES256", ["crv"] = "P-256", ["kid"] = KeyId, ["x"] = Base64Url.EncodeToString(q.X), ["y"] = Base64Url.EncodeToString(q.Y) };
    }
}
