using System.Text;
using Gateway.Federation;
using Xunit;

namespace Gateway.Tests.Federation;

public sealed class TokenRequestFormTests
{
    [Theory]
    [InlineData("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c")]
    [InlineData("grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=a.b.c")]
    [InlineData("assertion=a.b.c&grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&scope=x")]
    public void ParsesTheSdkForm(string body)
    {
        Assert.True(TokenRequestForm.TryParse(Encoding.ASCII.GetBytes(body), out var form));
        Assert.Equal("urn:ietf:params:oauth:grant-type:jwt-bearer", form.GrantType);
        Assert.Equal("a.b.c", form.Assertion);
    }

    [Theory]
    [InlineData("grant_type=x&grant_type=y")]
    [InlineData("assertion=a&assertion=a")]
    [InlineData("assertion=a&%61ssertion=b")]
    [InlineData("assertion=%zz")]
    [InlineData("assertion=%4")]
    [InlineData("assertion=caf\u00e9")]
    public void RefusesAmbiguousOrInvalidForms(string body)
        => Assert.False(TokenRequestForm.TryParse(Encoding.UTF8.GetBytes(body), out _));
}
