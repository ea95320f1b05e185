using System.Text;
using Gateway.Authentication;
using Gateway.Keys;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Gateway.Tests.Authentication;

public sealed class ConnectionCredentialMemoTests
{
    private static readonly string Key = "gw_" + new string('a', 12) + "_" + new string('b', 36);

    [Fact]
    public void OneMemoPerHttp1Connection_NoneForHttp2_NoneWithoutConnectionItems()
    {
        var items = new ConnectionItems();
        var first = Context("HTTP/1.1", items);
        var memo = ConnectionCredentialMemo.Of(first);
        Assert.NotNull(memo);
        Assert.Same(memo, ConnectionCredentialMemo.Of(Context("HTTP/1.1", items)));
        Assert.NotSame(memo, ConnectionCredentialMemo.Of(Context("HTTP/1.1", new ConnectionItems())));
        Assert.Null(ConnectionCredentialMemo.Of(Context("HTTP/2", new ConnectionItems())));
        Assert.Null(ConnectionCredentialMemo.Of(Context("HTTP/1.1", null)));
    }

    [Fact]
    public void RemembersAHeaderStringSeenTwice_AndOnlyThatVeryString()
    {
        var memo = new ConnectionCredentialMemo();
        var header = Basic(Key);
        var credential = Extract(header);
        var hash = KeyHash.Of(Key);

        memo.Remember(credential, new KeyFacts(KeyShape.Standard, false, "aaaaaaaaaaaa", hash));
        Assert.False(memo.TryGetCredential(header, out _)); // seen once: nothing kept
        memo.Remember(credential, new KeyFacts(KeyShape.Standard, false, "aaaaaaaaaaaa", hash));

        Assert.True(memo.TryGetCredential(header, out var remembered));
        Assert.True(remembered.IsSameReading(credential));
        Assert.True(memo.TryGetFacts(credential, out var facts));
        Assert.Equal(hash, facts.Hash);
        Assert.Equal(KeyShape.Standard, facts.Shape);
        Assert.Equal("aaaaaaaaaaaa", facts.KeyId.ToString());

        // The same text in another string instance is not recognised (it is parsed again).
        var copy = new string(header.AsSpan());
        Assert.False(memo.TryGetCredential(copy, out _));
        Assert.False(memo.TryGetFacts(Extract(copy), out _));
    }

    [Fact]
    public void AnotherHeaderOnTheConnection_IsNotGivenTheRememberedReading()
    {
        var memo = new ConnectionCredentialMemo();
        var header = Basic(Key);
        var credential = Extract(header);
        var facts = new KeyFacts(KeyShape.Standard, false, "aaaaaaaaaaaa", KeyHash.Of(Key));
        memo.Remember(credential, facts);
        memo.Remember(credential, facts);

        var other = Basic(Key[..^1] + "c");
        Assert.False(memo.TryGetCredential(other, out _));
        Assert.False(memo.TryGetFacts(Extract(other), out _));
        // Seen twice, the other one replaces the first.
        var otherFacts = new KeyFacts(KeyShape.Standard, false, "aaaaaaaaaaaa", KeyHash.Of(Key[..^1] + "c"));
        memo.Remember(Extract(other), otherFacts);
        memo.Remember(Extract(other), otherFacts);
        Assert.True(memo.TryGetCredential(other, out _));
        Assert.False(memo.TryGetCredential(header, out _));
    }

    [Fact]
    public void MalformedKeys_AndCredentialsFromTheKeyHeader_AreNeverRemembered()
    {
        var memo = new ConnectionCredentialMemo();
        var header = Basic("not-a-key");
        var credential = Extract(header);
        memo.Remember(credential, new KeyFacts(KeyShape.Malformed, false, default, default));
        memo.Remember(credential, new KeyFacts(KeyShape.Malformed, false, default, default));
        Assert.False(memo.TryGetCredential(header, out _));

        var fromKeyHeader = new Credential(CredentialStatus.Present, Key, CredentialSource.ApiKeyHeader);
        var facts = new KeyFacts(KeyShape.Standard, false, "aaaaaaaaaaaa", KeyHash.Of(Key));
        memo.Remember(fromKeyHeader, facts);
        memo.Remember(fromKeyHeader, facts);
        Assert.False(memo.TryGetCredential(Key, out _));
        Assert.False(memo.TryGetFacts(fromKeyHeader, out _));
    }

    private static string Basic(string key) => "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + key));

    private static Credential Extract(string authorization)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = authorization;
        return CredentialExtractor.Extract(context.Request);
    }

    private static DefaultHttpContext Context(string protocol, ConnectionItems? items)
    {
        var context = new DefaultHttpContext();
        context.Request.Protocol = protocol;
        if (items is not null)
        {
            context.Features.Set<IConnectionItemsFeature>(items);
        }

        return context;
    }

    private sealed class ConnectionItems : IConnectionItemsFeature
    {
        public IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    }
}
