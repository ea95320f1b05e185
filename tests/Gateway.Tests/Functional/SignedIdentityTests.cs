using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>Gateway:Identity:Sign: an ES256 JWT of the verified facts, checked against the JWKS served over HTTP.</summary>
public sealed class SignedIdentityTests
{
    [Fact]
    public async Task IdentityToken_VerifiesAgainstTheJwks_AndCarriesTheVerifiedFacts()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(_ => $$"""
            { "ReverseProxy": {
                "Routes": { "files": { "ClusterId": "tracking", "Match": { "Path": "/files/{entity}/{project}/{run}/file_stream" },
                  "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project" } } },
                "Clusters": { "tracking": { "Destinations": { "d": { "Address": "{{echo.Url}}" } } } } } }
            """, "--Gateway:Identity:Sign=true");
        Assert.Equal(201, (await gw.PostAsync("/admin/v1/orgs/acme/teams", gw.RootKey, new { name = "ml" })).Status);
        var spoofed = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjZW8ifQ.";
        var response = await gw.ProxyAsync(HttpMethod.Post, "/files/ml/p1/r/file_stream", gw.RootKey, new { },
            r => r.Headers.TryAddWithoutValidation("X-Gateway-Identity", spoofed));
        // An org admin is not a member of the team: denied until root joins it.
        Assert.Equal(403, response.Status);
        Assert.Equal("not_a_member", response.Code);
        Assert.Empty(echo.Received);

        Assert.Equal(200, (await gw.PutAsync("/admin/v1/teams/ml/members/root", gw.RootKey, new { role = "member" })).Status);
        response = await gw.ProxyAsync(HttpMethod.Post, "/files/ml/p1/r/file_stream", gw.RootKey, new { },
            r => r.Headers.TryAddWithoutValidation("X-Gateway-Identity", spoofed));
        Assert.Equal(200, response.Status);
        var upstream = echo.Received.Last();
        var token = Assert.Single(upstream.Values("X-Gateway-Identity"));
        Assert.NotEqual(spoofed, token);

        var jwks = (await gw.ProxyAsync(HttpMethod.Get, "/.well-known/jwks.json", null)).Json.GetProperty("keys")[0];
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement;
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        Assert.Equal(jwks.GetProperty("kid").GetString(), header.GetProperty("kid").GetString());

        using var key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64Url.DecodeFromChars(jwks.GetProperty("x").GetString()), Y = Base64Url.DecodeFromChars(jwks.GetProperty("y").GetString()) },
        });
        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        var signature = Base64Url.DecodeFromChars(parts[2]);
        Assert.True(key.VerifyData(signed, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        signature[5] ^= 1;
        Assert.False(key.VerifyData(signed, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

        var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement;
        Assert.Equal("root", claims.GetProperty("sub").GetString());
        Assert.Equal("tracking", claims.GetProperty("aud").GetString());
        Assert.Equal("ml", claims.GetProperty("entity").GetString());
        Assert.Equal("p1", claims.GetProperty("project").GetString());
        Assert.Equal("user", claims.GetProperty("principal_type").GetString());
        Assert.Equal(60, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());
    }
}
