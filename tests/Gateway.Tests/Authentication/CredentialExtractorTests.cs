using System.Text;
using Gateway.Authentication;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Gateway.Tests.Authentication;

public sealed class CredentialExtractorTests
{
    private static Credential Extract(Action<HttpRequest> setup)
    {
        var context = new DefaultHttpContext();
        setup(context.Request);
        return CredentialExtractor.Extract(context.Request);
    }

    private static string Basic(string userPass) => "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes(userPass));

    [Theory]
    [InlineData("api:gw_key")]
    [InlineData("user:gw_key")]
    [InlineData(":gw_key")]
    public void Basic_TakesThePasswordAndIgnoresTheUsername(string userPass)
    {
        var credential = Extract(r => r.Headers.Authorization = Basic(userPass));
        Assert.Equal(CredentialStatus.Present, credential.Status);
        Assert.Equal("gw_key", credential.Value);
        Assert.Equal(CredentialSource.Basic, credential.Source);
    }

    [Fact]
    public void Bearer_AndApiKeyHeader_AreAccepted()
    {
        Assert.Equal("tok", Extract(r => r.Headers.Authorization = "Bearer tok").Value);
        Assert.Equal("tok", Extract(r => r.Headers.Authorization = "bearer tok").Value);
        var header = Extract(r => r.Headers["wandb-api-key"] = "k");
        Assert.Equal(CredentialSource.ApiKeyHeader, header.Source);
        Assert.Equal("k", header.Value);
    }

    [Theory]
    [InlineData("Basic !!!notbase64")]
    [InlineData("Basic YXBp")] // "api": no colon
    [InlineData("Basic YXBpOg==")] // "api:": empty password
    [InlineData("Digest abc")]
    [InlineData("Bearer ")]
    [InlineData("Bearer a b")]
    public void MalformedAuthorization_IsMalformed(string header)
        => Assert.Equal(CredentialStatus.Malformed, Extract(r => r.Headers.Authorization = header).Status);

    [Fact]
    public void TwoAuthorizationHeaders_AreAmbiguous()
        => Assert.Equal(CredentialStatus.Ambiguous, Extract(r => r.Headers.Authorization = new Microsoft.Extensions.Primitives.StringValues(["Bearer a", "Bearer a"])).Status);

    [Fact]
    public void AuthorizationAndADifferentApiKeyHeader_AreAmbiguous()
    {
        Assert.Equal(CredentialStatus.Ambiguous, Extract(r =>
        {
            r.Headers.Authorization = Basic("api:one");
            r.Headers["wandb-api-key"] = "two";
        }).Status);
        Assert.Equal(CredentialStatus.Present, Extract(r =>
        {
            r.Headers.Authorization = Basic("api:same");
            r.Headers["wandb-api-key"] = "same";
        }).Status);
    }

    [Theory]
    [InlineData("?api_key=x")]
    [InlineData("?a=1&KEY=x")]
    [InlineData("?access_token=x")]
    [InlineData("?%6Bey=x")]
    [InlineData("?token")]
    public void QueryStringCredentials_AreRefused(string query)
        => Assert.Equal(CredentialStatus.InQuery, Extract(r => r.QueryString = new QueryString(query)).Status);

    [Fact]
    public void OrdinaryQueryStrings_AreFine()
        => Assert.Equal(CredentialStatus.None, Extract(r => r.QueryString = new QueryString("?project_id=a/b&keys=1")).Status);

    [Theory]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", true)]
    [InlineData("a.b.", true)] // alg:none has an empty signature: still JWT-shaped, refused by the JWT path
    [InlineData(".b.c", false)]
    [InlineData("gw_abc_def", false)]
    [InlineData("a.b.c.d", false)]
    public void RecognizesJwtShapedCredentials(string value, bool jwt)
        => Assert.Equal(jwt, new Credential(CredentialStatus.Present, value, CredentialSource.Bearer).IsJwtShaped);

    [Fact]
    public void Read_GivesTheCredentialWithoutAString_AndTheSameTextAsValue()
    {
        Span<char> buffer = stackalloc char[Credential.StackLength];
        var basic = Extract(r => r.Headers.Authorization = Basic("api:gw_0123456789_abc"));
        Assert.Equal("gw_0123456789_abc", basic.Read(buffer).ToString());
        Assert.True(basic.MaxLength >= "gw_0123456789_abc".Length);
        var bearer = Extract(r => r.Headers.Authorization = "Bearer gw_at_tok");
        Assert.Equal("gw_at_tok", bearer.Read(buffer).ToString());
        Assert.True(Credential.Missing.Read(buffer).IsEmpty);
        Assert.Null(Credential.Missing.Value);
    }

    [Fact]
    public void LongBasicPasswords_AreReadWhole()
    {
        var password = new string('k', 2 * Credential.StackLength);
        var credential = Extract(r => r.Headers.Authorization = Basic("api:" + password));
        Assert.Equal(password, credential.Value);
        Assert.Equal(password, credential.Read(new char[credential.MaxLength]).ToString());
    }

    [Fact]
    public void AJwtSentAsBasicPassword_IsStillJwtShaped()
    {
        const string Jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
        Assert.True(Extract(r => r.Headers.Authorization = Basic("api:" + Jwt)).IsJwtShaped);
        Assert.True(Extract(r => r.Headers.Authorization = "Bearer " + Jwt).IsJwtShaped);
        Assert.False(Extract(r => r.Headers.Authorization = Basic("api:gw_key")).IsJwtShaped);
    }

    [Fact]
    public void SameCredentialInBearerAndKeyHeader_IsOne()
    {
        Assert.Equal(CredentialStatus.Present, Extract(r =>
        {
            r.Headers.Authorization = "Bearer same";
            r.Headers["wandb-api-key"] = "same";
        }).Status);
        Assert.Equal(CredentialStatus.Ambiguous, Extract(r =>
        {
            r.Headers.Authorization = "Bearer same";
            r.Headers["wandb-api-key"] = "samE";
        }).Status);
    }
}
