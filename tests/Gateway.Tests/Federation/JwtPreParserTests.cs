using System.Buffers.Text;
using System.Text;
using Gateway.Federation;
using Xunit;

namespace Gateway.Tests.Federation;

public sealed class JwtPreParserTests
{
    private const string Header = """{"alg":"RS256","kid":"k1","typ":"JWT"}""";
    private const string Payload = """{"iss":"https://idp.example","sub":"ci","aud":["acme","wandb"],"exp":2000000000,"nbf":1700000000,"iat":1700000000.5}""";

    private static string Jwt(string header, string payload, string signature = "c2ln")
        => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload)) + "." + signature;

    [Fact]
    public void ReadsTheClaimsItNeeds()
    {
        Assert.True(JwtPreParser.TryParse(Jwt(Header, Payload), 16384, out var preview, out _));
        Assert.Equal("RS256", preview.Algorithm);
        Assert.Equal("k1", preview.KeyId);
        Assert.Equal("JWT", preview.Type);
        Assert.Equal("https://idp.example", preview.Issuer);
        Assert.Equal("ci", preview.Subject);
        Assert.Equal(2000000000, preview.Expires);
        Assert.Equal(1700000000, preview.IssuedAt);
        Assert.Equal(["acme", "wandb"], preview.Audiences);
    }

    [Theory]
    [InlineData("""{"alg":"RS256","alg":"none"}""", Payload, FederationReasons.TokenMalformed)]
    [InlineData(Header, """{"iss":"https://idp.example","sub":"a","sub":"b","aud":"acme","exp":2000000000}""", FederationReasons.TokenMalformed)]
    [InlineData(Header, """{"iss":"https://idp.example","sub":"a","s\u0075b":"b","aud":"acme","exp":2000000000}""", FederationReasons.TokenMalformed)]
    [InlineData(Header, """{"iss":"https://idp.example","sub":"a","aud":"acme","exp":2000000000,"o":{"x":1,"x":2}}""", FederationReasons.TokenMalformed)]
    [InlineData("""{"alg":"RS256","crit":["exp"]}""", Payload, FederationReasons.TokenHeaderRefused)]
    [InlineData("""{"alg":"RS256","jku":"https://evil"}""", Payload, FederationReasons.TokenHeaderRefused)]
    [InlineData("""{"alg":"RS256","x5c":["MII"]}""", Payload, FederationReasons.TokenHeaderRefused)]
    [InlineData("""{"alg":"RS256","jwk":{"kty":"RSA"}}""", Payload, FederationReasons.TokenHeaderRefused)]
    [InlineData("""{"alg":7}""", Payload, FederationReasons.TokenHeaderRefused)]
    [InlineData("""{"kid":"k"}""", Payload, FederationReasons.TokenHeaderRefused)]
    [InlineData(Header, """{"iss":"https://idp.example","sub":1,"aud":"acme","exp":2000000000}""", FederationReasons.TokenClaimsInvalid)]
    [InlineData(Header, """{"iss":"https://idp.example","sub":"","aud":"acme","exp":2000000000}""", FederationReasons.TokenClaimsInvalid)]
    [InlineData(Header, """{"iss":["https://idp.example"],"sub":"a","aud":"acme","exp":2000000000}""", FederationReasons.TokenClaimsInvalid)]
    [InlineData(Header, """{"iss":"https://idp.example","sub":"a","aud":"acme"}""", FederationReasons.TokenClaimsInvalid)]
    [InlineData(Header, """{"iss":"https://idp.example","sub":"a","aud":"acme","exp":"2000000000"}""", FederationReasons.TokenClaimsInvalid)]
    [InlineData(Header, """{"iss":"https://idp.example","sub":"a","aud":"acme","exp":-1}""", FederationReasons.TokenClaimsInvalid)]
    [InlineData(Header, """{"iss":"https://idp.example","sub":"a","aud":"acme","exp":1e300}""", FederationReasons.TokenClaimsInvalid)]
    [InlineData(Header, """{"iss":"https://idp.example","sub":"a","aud":[1],"exp":2000000000}""", FederationReasons.TokenClaimsInvalid)]
    [InlineData(Header, """{"iss":"https://idp.example","sub":"a","exp":2000000000}""", FederationReasons.TokenClaimsInvalid)]
    [InlineData(Header, """[1,2]""", FederationReasons.TokenMalformed)]
    public void Refuses(string header, string payload, string reason)
    {
        Assert.False(JwtPreParser.TryParse(Jwt(header, payload), 16384, out _, out var why));
        Assert.Equal(reason, why);
    }

    [Theory]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData(".b.c")]
    [InlineData("a..c")]
    [InlineData("a.b.")]
    [InlineData("a=.b.c")]
    [InlineData("a b.b.c")]
    [InlineData("a+/.b.c")]
    public void RefusesMalformedSegments(string token)
    {
        Assert.False(JwtPreParser.TryParse(token, 16384, out _, out var why));
        Assert.Equal(FederationReasons.TokenMalformed, why);
    }

    [Fact]
    public void RefusesInvalidUtf8InsideAJsonString()
    {
        // Found by fuzzing (fuzz/crashes/jwt): JsonDocument accepts the bytes, reading the string throws.
        var header = Encoding.UTF8.GetBytes("""{"alg":"RS256","kid":"X"}""");
        header[^3] = 0xDC;
        var token = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Payload)) + ".c2ln";
        Assert.False(JwtPreParser.TryParse(token, 16384, out _, out var why));
        Assert.Equal(FederationReasons.TokenMalformed, why);
    }

    [Fact]
    public void RefusesOversizedTokensBeforeDecoding()
    {
        var token = Jwt(Header, Payload.Replace("\"ci\"", "\"" + new string('x', 20000) + "\""));
        Assert.False(JwtPreParser.TryParse(token, 16384, out _, out var why));
        Assert.Equal(FederationReasons.TokenTooLarge, why);
    }

    [Fact]
    public void RefusesDeepNesting()
    {
        var deep = new string('[', 40) + new string(']', 40);
        Assert.False(JwtPreParser.TryParse(Jwt(Header, $$"""{"iss":"i","sub":"s","aud":"a","exp":2000000000,"d":{{deep}}}"""), 16384, out _, out _));
    }
}
