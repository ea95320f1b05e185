using System.Text;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>What is authorized is what is forwarded: encoded and ambiguous paths are refused, never decoded.</summary>
[Collection(ProxyCollection.Name)]
public sealed class ProxyPathTests(ProxyFixture fixture) : ProxyTestBase(fixture)
{
    [Theory]
    [InlineData("/files/ml/open-p%2F..%2Fsecret/r/file_stream")]
    [InlineData("/files/ml/open-p%252F..%252Fsecret/r/file_stream")]
    [InlineData("/files/ml/open-p%5C..%5Csecret/r/file_stream")]
    [InlineData("/files/ml/open-p%2fx/r/file_stream")]
    [InlineData("/files/ml/secret;x=1/r/file_stream")]
    [InlineData("/files/ml/open-p;/r/file_stream")]
    [InlineData("/files/ml//secret/r/file_stream")]
    [InlineData("/files/ml/open-p/%2E%2E/secret/r/file_stream")]
    [InlineData("/files/ml/open-p/../secret/r/file_stream")]
    [InlineData("/files/ml/./secret/r/file_stream")]
    [InlineData("/files/ml/.%2e/ml/secret/r/file_stream")]
    [InlineData("/files/m%6C/secret/r/file_stream")]
    [InlineData("/files/ML/secret/r/file_stream")]
    [InlineData("/files/ml/%73ecret/r/file_stream")]
    [InlineData("/read/ml/open-p\\..\\secret/x")]
    public async Task EncodedOrAmbiguousPaths_AreRefused_NothingForwarded(string target)
    {
        var marker = Marker();
        var (status, text) = await RawHttp.SendAsync(Gw.ProxyUrl,
            $"POST {target} HTTP/1.1\r\nHost: gw\r\nAuthorization: Basic {Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + K("bob")))}\r\n" +
            $"X-Test-Marker: {marker}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}");
        Assert.True(status == 400, $"{target}: {text}");
        Assert.True(text.Contains("\"code\":\"invalid_path\"") || text.Contains("\"code\":\"invalid_scope\""), text);
        Assert.Null(Upstream(marker));
    }

    [Theory]
    [InlineData("http://evil.example/read/ml/open-p/x", "gw")]   // Kestrel refuses: authority and Host differ
    [InlineData("http://gw/read/ml/open-p/x", "gw")]            // accepted by Kestrel, refused by the gateway
    public async Task AbsoluteFormTargets_AreRefused(string target, string host)
    {
        var marker = Marker();
        var (status, _) = await RawHttp.SendAsync(Gw.ProxyUrl, RawHttp.Get(target, host,
            "Authorization: Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + K("bob"))), "X-Test-Marker: " + marker));
        Assert.Equal(400, status);
        Assert.Null(Upstream(marker));
    }

    [Fact]
    public async Task ScopeSegmentEncodings_Get400_WithACode()
    {
        var (status, text) = await RawHttp.SendAsync(Gw.ProxyUrl, RawHttp.Get("/read/ml/open-p%2F..%2Fsecret/x", "gw",
            "Authorization: Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + K("bob")))));
        Assert.Equal(400, status);
        // A dot segment behind an encoded slash: refused before routing, whichever segment it is in.
        Assert.Contains("\"code\":\"invalid_path\"", text);
        var (dots, dotsText) = await RawHttp.SendAsync(Gw.ProxyUrl, RawHttp.Get("/read/ml/open-p/../secret/x", "gw",
            "Authorization: Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + K("bob")))));
        Assert.Equal(400, dots);
        Assert.Contains("\"code\":\"invalid_path\"", dotsText);
    }

    [Fact]
    public async Task TheForwardedPath_IsTheAuthorizedPath()
    {
        var (response, upstream) = await SendAsync(HttpMethod.Get, "/read/ml/open-p/dir%2Fwith%20space.txt", K("bob"));
        Assert.Equal(200, response.Status);
        Assert.Equal("open-p", upstream!.Single("X-Gateway-Project"));
        Assert.StartsWith("/read/ml/open-p/", upstream.RawTarget, StringComparison.Ordinal);
    }
}
