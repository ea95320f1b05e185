using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// The JWT attacks of threats.md section 3 and the variants next to them. Each is refused at the
/// exchange with the one invalid_grant answer and as a raw Bearer (against an issuer that accepts raw
/// JWTs, so only the attack itself can fail it) with the one 401; nothing reaches the upstream and no
/// token reaches the logs. Built against <see cref="FederationFixture.RawIdp"/>, mapped subject and all.
/// </summary>
[Collection(FederationCollection.Name)]
public class FederationAttackTests(FederationFixture fixture)
{
    private const string Subject = FederationFixture.RawSubject;

    private static readonly Dictionary<string, (Func<FederationFixture, string> Make, string ExchangeError, int BearerStatus)> Attacks = new()
    {
        ["alg none, empty signature"] = (f => Unsigned(f, "none", withSignature: false), "invalid_grant", 401),
        ["alg none, with a signature"] = (f => Unsigned(f, "none", withSignature: true), "invalid_grant", 401),
        ["alg NONE"] = (f => Unsigned(f, "NONE", withSignature: true), "invalid_grant", 401),
        ["HS256 keyed with the issuer's public key (DER)"] = (f => Hmac(f, f.RawIdp.Current.PublicBytes), "invalid_grant", 401),
        ["HS256 keyed with the issuer's public key (PEM)"] = (f => Hmac(f, Encoding.ASCII.GetBytes(PemOf(f.RawIdp.Current.PublicBytes))), "invalid_grant", 401),
        ["iss of one trusted issuer, signed with the other's key and kid"] = (f => f.RawIdp.Token(Subject, key: f.Idp.Current), "invalid_grant", 401),
        ["iss of one trusted issuer, the other's key under its own kid"] = (f => f.RawIdp.Token(Subject, key: f.Idp.Current, edit: (h, _) => h["kid"] = f.RawIdp.Current.KeyId), "invalid_grant", 401),
        ["iss of one trusted issuer, the other's key without kid"] = (f => f.RawIdp.Token(Subject, key: f.Idp.Current, edit: (h, _) => h.Remove("kid")), "invalid_grant", 401),
        ["an unpublished key under the issuer's kid"] = (f => f.RawIdp.Token(Subject, key: SigningKey.NewRsa(), edit: (h, _) => h["kid"] = f.RawIdp.Current.KeyId), "invalid_grant", 401),
        ["signature changed"] = (f => Tamper(f.RawIdp.Token(Subject)), "invalid_grant", 401),
        ["payload changed after signing"] = (f => SwapPayload(f.RawIdp.Token("nobody"), f.RawIdp.Token(Subject)), "invalid_grant", 401),
        ["expired ten minutes ago"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => { p["iat"] = Now - 1200; p["exp"] = Now - 600; }), "invalid_grant", 401),
        ["nbf an hour ahead"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["nbf"] = Now + 3600), "invalid_grant", 401),
        ["iat an hour ahead"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["iat"] = Now + 3600), "invalid_grant", 401),
        ["exp ten years ahead"] = (f => f.RawIdp.Token(Subject, lifetime: TimeSpan.FromDays(3650)), "invalid_grant", 401),
        ["exp ten years ahead without iat"] = (f => f.RawIdp.Token(Subject, lifetime: TimeSpan.FromDays(3650), edit: (_, p) => p.Remove("iat")), "invalid_grant", 401),
        ["lifetime over the cap from an old iat"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["iat"] = Now - 7200), "invalid_grant", 401),
        ["no exp"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p.Remove("exp")), "invalid_grant", 401),
        ["exp as a string"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["exp"] = (Now + 600).ToString()), "invalid_grant", 401),
        ["wrong audience"] = (f => f.RawIdp.Token(Subject, audience: "other-org"), "invalid_grant", 401),
        ["audience differing in case"] = (f => f.RawIdp.Token(Subject, audience: "ACME"), "invalid_grant", 401),
        ["no audience"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p.Remove("aud")), "invalid_grant", 401),
        ["empty audience list"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["aud"] = new JsonArray()), "invalid_grant", 401),
        ["numeric audience"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["aud"] = 7), "invalid_grant", 401),
        ["crit exp"] = (f => f.RawIdp.Token(Subject, edit: (h, _) => h["crit"] = new JsonArray("exp")), "invalid_grant", 401),
        ["crit unknown-ext"] = (f => f.RawIdp.Token(Subject, edit: (h, _) => { h["crit"] = new JsonArray("unknown-ext"); h["unknown-ext"] = true; }), "invalid_grant", 401),
        ["crit empty"] = (f => f.RawIdp.Token(Subject, edit: (h, _) => h["crit"] = new JsonArray()), "invalid_grant", 401),
        ["sub twice, the mapped one last"] = (f => Raw(f, Header(f), $$"""{"iss":"{{f.RawIdp.Url}}","sub":"nobody","aud":"acme","exp":{{Now + 600}},"sub":"{{Subject}}"}"""), "invalid_grant", 401),
        ["sub twice, one escaped"] = (f => Raw(f, Header(f), $$"""{"iss":"{{f.RawIdp.Url}}","sub":"nobody","aud":"acme","exp":{{Now + 600}},"s\u0075b":"{{Subject}}"}"""), "invalid_grant", 401),
        ["alg twice in the header"] = (f => Raw(f, $$"""{"alg":"none","kid":"{{f.RawIdp.Current.KeyId}}","alg":"RS256"}""", Payload(f)), "invalid_grant", 401),
        ["duplicate name in a nested claim"] = (f => Raw(f, Header(f), $$$"""{"iss":"{{{f.RawIdp.Url}}}","sub":"{{{Subject}}}","aud":"acme","exp":{{{Now + 600}}},"x":{"a":1,"a":2}}"""), "invalid_grant", 401),
        ["numeric sub"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["sub"] = 12345), "invalid_grant", 401),
        ["sub as an array"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["sub"] = new JsonArray(Subject)), "invalid_grant", 401),
        ["numeric iss"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["iss"] = 1), "invalid_grant", 401),
        ["iss with a trailing slash"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["iss"] = f.RawIdp.Url + "/"), "invalid_grant", 401),
        ["iss differing in case"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["iss"] = f.RawIdp.Url.ToUpperInvariant()), "invalid_grant", 401),
        ["unregistered issuer"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["iss"] = "https://evil.example"), "invalid_grant", 401),
        ["jku pointing elsewhere"] = (f => f.RawIdp.Token(Subject, edit: (h, _) => h["jku"] = "https://evil.example/jwks"), "invalid_grant", 401),
        ["x5u pointing elsewhere"] = (f => f.RawIdp.Token(Subject, edit: (h, _) => h["x5u"] = "https://evil.example/cert"), "invalid_grant", 401),
        ["embedded jwk of the signer's own key"] = (f => EmbeddedJwk(f), "invalid_grant", 401),
        ["an algorithm the issuer does not accept (RS512)"] = (f => Rs512(f), "invalid_grant", 401),
        ["JWE-shaped header"] = (f => f.RawIdp.Token(Subject, edit: (h, _) => h["enc"] = "A256GCM"), "invalid_grant", 401),
        ["four segments"] = (f => f.RawIdp.Token(Subject) + ".AAAA", "invalid_grant", 401),
        ["two segments"] = (f => string.Join('.', f.RawIdp.Token(Subject).Split('.')[..2]), "invalid_grant", 401),
        ["padded base64"] = (f => PadSegments(f.RawIdp.Token(Subject)), "invalid_grant", 401),
        ["header not JSON"] = (f => Base64Url.EncodeToString("nope"u8) + "." + f.RawIdp.Token(Subject).Split('.', 2)[1], "invalid_grant", 401),
        ["header a JSON array"] = (f => Raw(f, "[1]", Payload(f)), "invalid_grant", 401),
        ["a 1 MB token"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["pad"] = new string('x', 1024 * 1024)), "invalid_request", 431),
        ["an 18 KB token (over the 16 KB cap)"] = (f => f.RawIdp.Token(Subject, edit: (_, p) => p["pad"] = new string('x', 13 * 1024)), "invalid_grant", 401),
    };

    public static TheoryData<string> Names() => new(Attacks.Keys);

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    [Theory]
    [MemberData(nameof(Names))]
    public async Task IsRefused_AtTheExchange_AndAsBearer(string name)
    {
        var (make, exchangeError, bearerStatus) = Attacks[name];
        var token = make(fixture);

        var exchange = await FederationFixture.ExchangeAsync(fixture.Gw, token);
        if (exchangeError == "invalid_grant")
        {
            FederationExchangeTests.AssertInvalidGrant(exchange);
        }
        else
        {
            Assert.Equal(400, exchange.Status);
            Assert.Equal(exchangeError, exchange.Json.GetProperty("error").GetString());
        }

        var forwardedBefore = fixture.Echo.Received.Count;
        ApiResponse bearer;
        EchoRequest? upstream;
        try
        {
            (bearer, upstream) = await fixture.BearerAsync("/graphql", token);
        }
        catch (HttpRequestException) when (bearerStatus == 431)
        {
            // Kestrel answers 431 and closes while the client is still writing a megabyte of headers:
            // on a busy machine the client meets the closed connection first. Refused either way.
            Assert.Equal(forwardedBefore, fixture.Echo.Received.Count);
            Assert.DoesNotContain(token[..200], fixture.Gw.Logs.All);
            return;
        }

        Assert.Equal(bearerStatus, bearer.Status);
        if (bearerStatus == 401)
        {
            Assert.Equal("invalid_credentials", bearer.Code);
        }

        Assert.Null(upstream);
        Assert.DoesNotContain(token.Length > 200 ? token[..200] : token, fixture.Gw.Logs.All);
    }

    [Fact]
    public async Task TheUnalteredToken_IsAccepted_SoEachAttackFailsOnItsOwn()
    {
        var (bearer, upstream) = await fixture.BearerAsync("/graphql", fixture.RawIdp.Token(Subject));
        Assert.Equal(200, bearer.Status);
        Assert.Equal("rawbot@ml", upstream!.Single("X-Gateway-Principal"));
        Assert.Equal(200, (await FederationFixture.ExchangeAsync(fixture.Gw, Raw(fixture, Header(fixture), Payload(fixture)))).Status);
    }

    private static string Header(FederationFixture f) => $$"""{"alg":"RS256","typ":"JWT","kid":"{{f.RawIdp.Current.KeyId}}"}""";

    private static string Payload(FederationFixture f) => $$"""{"iss":"{{f.RawIdp.Url}}","sub":"{{Subject}}","aud":"acme","iat":{{Now}},"exp":{{Now + 600}}}""";

    private static string Raw(FederationFixture f, string header, string payload) => TestIssuer.Sign(header, payload, f.RawIdp.Current);

    private static string Unsigned(FederationFixture f, string alg, bool withSignature)
    {
        var signed = f.RawIdp.Token(Subject, edit: (h, _) => h["alg"] = alg);
        return withSignature ? signed : signed[..(signed.LastIndexOf('.') + 1)];
    }

    private static string Hmac(FederationFixture f, byte[] secret)
    {
        var unsigned = Unsigned(f, "HS256", withSignature: false);
        return unsigned + Base64Url.EncodeToString(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(unsigned.TrimEnd('.'))));
    }

    private static string PemOf(byte[] spki) => "-----BEGIN PUBLIC KEY-----\n" + Convert.ToBase64String(spki, Base64FormattingOptions.InsertLineBreaks) + "\n-----END PUBLIC KEY-----\n";

    private static string Tamper(string token) => token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1];

    private static string SwapPayload(string from, string signed)
    {
        var a = from.Split('.');
        var b = signed.Split('.');
        return $"{b[0]}.{a[1]}.{b[2]}";
    }

    private static string PadSegments(string token)
    {
        var parts = token.Split('.');
        return string.Join('.', parts.Select(p => p + new string('=', (4 - p.Length % 4) % 4)));
    }

    private static string EmbeddedJwk(FederationFixture f)
    {
        var attacker = SigningKey.NewRsa();
        return f.RawIdp.Token(Subject, key: attacker, edit: (h, _) => h["jwk"] = attacker.Jwk());
    }

    private static string Rs512(FederationFixture f)
    {
        using var rsa = RSA.Create(2048);
        var header = $$"""{"alg":"RS512","kid":"{{f.RawIdp.Current.KeyId}}"}""";
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Payload(f)));
        return input + "." + Base64Url.EncodeToString(rsa.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1));
    }
}
