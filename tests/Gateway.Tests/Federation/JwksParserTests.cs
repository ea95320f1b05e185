using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Configuration;
using Gateway.Federation;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Federation;

public sealed class JwksParserTests
{
    private static readonly FederationOptions Options = new();

    private static byte[] Set(params JsonNode[] keys) => Encoding.UTF8.GetBytes(new JsonObject { ["keys"] = new JsonArray(keys) }.ToJsonString());

    [Fact]
    public void KeepsRsaAndEcSigningKeys()
    {
        var rsa = SigningKey.NewRsa();
        var ec = SigningKey.NewEc();
        var keys = JwksParser.Parse(Set(rsa.Jwk(), ec.Jwk()), ["RS256", "ES256"], Options);
        Assert.Equal([rsa.KeyId, ec.KeyId], keys.Select(k => k.KeyId));
    }

    [Fact]
    public void SkipsSymmetricEncryptionWeakAndHugeKeys_AndKeysForOtherAlgorithms()
    {
        var good = SigningKey.NewRsa();
        var oct = new JsonObject { ["kty"] = "oct", ["kid"] = "hmac", ["k"] = Base64Url.EncodeToString(new byte[32]) };
        var enc = SigningKey.NewRsa().Jwk();
        enc["use"] = "enc";
        var weak = SigningKey.NewRsa(1024).Jwk();
        // Only its size matters (8192 bits, over the 4096 cap); generating a real one takes seconds.
        var modulus = RandomNumberGenerator.GetBytes(1024);
        modulus[0] |= 0x80;
        var huge = new JsonObject { ["kty"] = "RSA", ["kid"] = "huge", ["n"] = Base64Url.EncodeToString(modulus), ["e"] = "AQAB" };
        var otherAlg = SigningKey.NewRsa().Jwk();
        otherAlg["alg"] = "RS512";
        var badPoint = SigningKey.NewEc().Jwk();
        badPoint["y"] = Base64Url.EncodeToString(new byte[32]);

        var keys = JwksParser.Parse(Set(oct, enc, weak, huge, otherAlg, badPoint, good.Jwk()), ["RS256", "ES256"], Options);
        Assert.Equal([good.KeyId], keys.Select(k => k.KeyId));
    }

    [Fact]
    public void RefusesSetsOverTheKeyCap_WithoutUsableKeys_OrNotJson()
    {
        var many = Enumerable.Range(0, Options.MaxKeys + 1).Select(_ => (JsonNode)SigningKey.NewEc().Jwk()).ToArray();
        Assert.Throws<IssuerFetchException>(() => JwksParser.Parse(Set(many), ["ES256"], Options));
        Assert.Throws<IssuerFetchException>(() => JwksParser.Parse(Set(), ["RS256"], Options));
        Assert.Throws<IssuerFetchException>(() => JwksParser.Parse("not json"u8, ["RS256"], Options));
        Assert.Throws<IssuerFetchException>(() => JwksParser.Parse("""{"keys":{}}"""u8, ["RS256"], Options));
        Assert.Throws<IssuerFetchException>(() => JwksParser.Parse("""{"keys":[],"keys":[]}"""u8, ["RS256"], Options));
    }
}
