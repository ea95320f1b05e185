using System.Text;
using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Xunit;

namespace Gateway.Tests.Attacks;

/// <summary>
/// threats.md section 7, over raw sockets: framing two servers could read differently, and header
/// syntax an HttpClient would never send. Each is refused; nothing reaches the upstream; the key
/// sent along never reaches a log.
/// </summary>
[Collection(ProxyCollection.Name)]
public class ProtocolAttackTests(ProxyFixture fixture) : ProxyTestBase(fixture)
{
    // {auth} is a valid key of bob (a member of ml, who may write ml/team-p); {marker} tags what the upstream saw.
    public static TheoryData<string, string> Requests() => new()
    {
        { "Content-Length with Transfer-Encoding", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n" },
        { "Transfer-Encoding not chunked last", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}Transfer-Encoding: chunked, identity\r\n\r\n2\r\n{}\r\n0\r\n\r\n" },
        { "Transfer-Encoding xchunked", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}Transfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n" },
        { "two different Content-Lengths", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}" },
        { "Content-Length not a number", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}Content-Length: 2x\r\n\r\n{}" },
        { "invalid chunk size", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n" },
        { "bare LF line endings", "POST /files/ml/team-p/r/file_stream HTTP/1.1\nHost: gw\n{authlf}{markerlf}Content-Length: 2\n\n{}" },
        { "obsolete line folding", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}X-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}" },
        { "space before the colon", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}Content-Length : 2\r\n\r\n{}" },
        { "two Host headers", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\nHost: evil.example\r\n{auth}{marker}Content-Length: 2\r\n\r\n{}" },
        { "absolute-form target naming another host", "POST http://evil.example/files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}Content-Length: 2\r\n\r\n{}" },
        { "NUL in a header value", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}X-Evil: a\0b\r\nContent-Length: 2\r\n\r\n{}" },
        { "control character in a header name", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}X-E\u0001vil: a\r\nContent-Length: 2\r\n\r\n{}" },
        { "underscore twin of a gateway header", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}X_Gateway_Principal: erin\r\nContent-Length: 2\r\n\r\n{}" },
        { "two Authorization headers", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{auth}{marker}Content-Length: 2\r\n\r\n{}" },
        { "HTTP/1.0 request with a chunked body", "POST /files/ml/team-p/r/file_stream HTTP/1.0\r\nHost: gw\r\n{auth}{marker}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n" },
        { "request line over the limit", "POST /files/ml/team-p/r/file_stream?" + new string('a', 9000) + " HTTP/1.1\r\nHost: gw\r\n{auth}{marker}Content-Length: 2\r\n\r\n{}" },
        { "header block over the limit", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}X-Big: " + new string('a', 33 * 1024) + "\r\nContent-Length: 2\r\n\r\n{}" },
        { "more headers than the limit", "POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\n{auth}{marker}" + string.Concat(Enumerable.Range(0, 101).Select(i => $"X-H{i}: v\r\n")) + "Content-Length: 2\r\n\r\n{}" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task IsRefused_NothingForwarded_NoSecretLogged(string name, string template)
    {
        var marker = Marker();
        var auth = $"Authorization: Basic {Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + K("bob")))}";
        var request = template
            .Replace("{auth}", auth + "\r\n").Replace("{authlf}", auth + "\n")
            .Replace("{marker}", $"X-Test-Marker: {marker}\r\n").Replace("{markerlf}", $"X-Test-Marker: {marker}\n");
        if (!request.Contains("Connection: close"))
        {
            request = request.Replace("Host: gw\r\n", "Host: gw\r\nConnection: close\r\n").Replace("Host: gw\n", "Host: gw\nConnection: close\n");
        }

        var (status, text) = await RawHttp.SendAsync(Gw.ProxyUrl, request);
        Assert.True(status is >= 400 and < 500, $"{name}: {(text.Length > 400 ? text[..400] : text)}");
        Assert.Null(Upstream(marker));
        Assert.DoesNotContain(K("bob"), Gw.Logs.All);
    }

    [Fact]
    public async Task TheSameRequestWellFormed_IsForwarded_SoEachRefusalIsTheAttacksOwn()
    {
        var marker = Marker();
        var auth = $"Authorization: Basic {Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + K("bob")))}";
        var (status, text) = await RawHttp.SendAsync(Gw.ProxyUrl,
            $"POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n{auth}\r\nX-Test-Marker: {marker}\r\nContent-Length: 2\r\n\r\n{{}}");
        Assert.True(status == 200, text);
        Assert.NotNull(Upstream(marker));

        // Chunked alone is fine: one framing, forwarded with exactly the bytes sent.
        var chunked = Marker();
        var (chunkedStatus, chunkedText) = await RawHttp.SendAsync(Gw.ProxyUrl,
            $"POST /files/ml/team-p/r/file_stream HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n{auth}\r\nX-Test-Marker: {chunked}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n");
        Assert.True(chunkedStatus == 200, chunkedText);
        Assert.Equal("{}", Upstream(chunked)!.Body);
    }
}
