using Gateway.Explain;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Gateway.Tests;

/// <summary>The refusal ring keeps what explain replays and never a credential, in any spelling.</summary>
public sealed class RefusalRingTests
{
    [Fact]
    public void CredentialHeaders_AndQueryCredentials_AreNeverKept()
    {
        var ring = new RefusalRing();
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/files/ml/p/r/file_stream";
        context.Request.QueryString = new QueryString("?Api-Key=s3cret1&token=s3cret2&project=p");
        foreach (var name in new[] { "Authorization", "authorization", "wandb-api-key", "wandb_api_key", "X-Neptune-Api-Token", "X_Neptune_Api_Token", "Proxy-Authorization", "Cookie", "X-Session" })
        {
            context.Request.Headers[name] = "s3cret-" + name;
        }

        context.Request.Headers["X-WANDB-USERNAME"] = "alice";
        context.Request.Headers["Content-Type"] = "application/json";
        ring.Record(context, "files", 403, "not_a_member", null, null, null, TimeProvider.System);
        var record = ring.Find(Gateway.Diagnostics.RequestIds.Of(context))!;
        Assert.DoesNotContain(record.Headers, h => h.Value.Contains("s3cret", StringComparison.Ordinal));
        Assert.Contains(record.Headers, h => h.Key == "X-WANDB-USERNAME" && h.Value == "alice");
        Assert.DoesNotContain("s3cret", record.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal("/files/ml/p/r/file_stream?Api-Key=REDACTED&token=REDACTED&project=p", record.PathAndQuery);
    }

    [Fact]
    public void TheRing_KeepsTheLastCapacityRefusals()
    {
        var ring = new RefusalRing();
        var ids = new List<string>();
        for (var i = 0; i < RefusalRing.Capacity + 10; i++)
        {
            var context = new DefaultHttpContext();
            ring.Record(context, "r", 403, "x", null, null, null, TimeProvider.System);
            ids.Add(Gateway.Diagnostics.RequestIds.Of(context));
        }

        Assert.All(ids.Take(10), id => Assert.Null(ring.Find(id)));
        Assert.All(ids.Skip(10), id => Assert.NotNull(ring.Find(id)));
    }
}
