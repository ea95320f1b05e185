using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Gateway.Tests.Common;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// OpenTelemetry traces exported over OTLP/HTTP to an in-process receiver: the pipeline's spans with
/// route, outcome and reason (never a credential), one trace continuing the client's traceparent, and
/// the upstream continuing that trace.
/// </summary>
[Collection(RunAlone.Name)]
public sealed class TracingTests
{
    private sealed record Span(string TraceId, string SpanId, string ParentId, string Name, Dictionary<string, string> Attributes);

    // Length-delimited fields of one protobuf message (everything else skipped).
    private static IEnumerable<(int Field, ByteString Value)> Fields(ByteString message)
    {
        var input = new CodedInputStream(message.ToByteArray());
        var fields = new List<(int, ByteString)>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                fields.Add((WireFormat.GetTagFieldNumber(tag), input.ReadBytes()));
            }
            else
            {
                input.SkipLastField();
            }
        }

        return fields;
    }

    // ExportTraceServiceRequest.resource_spans(1) > ResourceSpans.scope_spans(2) > ScopeSpans.spans(2) > Span.
    private static IEnumerable<Span> Spans(byte[] export)
        => from resource in Fields(ByteString.CopyFrom(export)).Where(f => f.Field == 1)
           from scope in Fields(resource.Value).Where(f => f.Field == 2)
           from span in Fields(scope.Value).Where(f => f.Field == 2)
           let fields = Fields(span.Value).ToList()
           select new Span(
               Convert.ToHexStringLower(fields.FirstOrDefault(f => f.Field == 1).Value?.ToByteArray() ?? []),
               Convert.ToHexStringLower(fields.FirstOrDefault(f => f.Field == 2).Value?.ToByteArray() ?? []),
               Convert.ToHexStringLower(fields.FirstOrDefault(f => f.Field == 4).Value?.ToByteArray() ?? []),
               fields.First(f => f.Field == 5).Value.ToStringUtf8(),
               fields.Where(f => f.Field == 9).Select(kv => Fields(kv.Value).ToList())
                   .ToDictionary(kv => kv.First(f => f.Field == 1).Value.ToStringUtf8(),
                       kv => kv.Where(f => f.Field == 2).Select(v => Fields(v.Value).FirstOrDefault(x => x.Field == 1).Value?.ToStringUtf8() ?? "").FirstOrDefault() ?? ""));

    // A gateway whose one route reads /read/{entity}/{project}/... from the echo upstream, with root a
    // member of team ml (so /read/ml/p/... is allowed).
    private static async Task<TestGateway> StartReadRouteAsync(EchoUpstream echo, string route, params string[] args)
    {
        var gw = await TestGateway.StartAsync(_ => $$"""
            { "ReverseProxy": { "Routes": {
                "{{route}}": { "ClusterId": "c", "Match": { "Path": "/read/{entity}/{project}/{**rest}" },
                          "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project" } } },
              "Clusters": { "c": { "Destinations": { "d": { "Address": "{{echo.Url}}" } } } } } }
            """, args);
        try
        {
            await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/teams", gw.RootKey, new { name = "ml" }));
            await OrgFixture.Ok(gw.PutAsync("/admin/v1/teams/ml/members/root", gw.RootKey, new { role = "member" }));
            return gw;
        }
        catch
        {
            await gw.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task ThePipelinesSpans_AreExported_AndTheUpstreamContinuesTheTrace()
    {
        var exports = new ConcurrentQueue<byte[]>();
        var (receiver, receiverUrl) = await LoopbackHost.StartAsync(app => app.MapPost("/v1/traces", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            exports.Enqueue(buffer.ToArray());
            return Results.Ok();
        }));
        await using var _ = receiver;
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await StartReadRouteAsync(echo, "traced", $"--Gateway:Tracing:OtlpEndpoint={new Uri(receiverUrl, "/v1/traces")}");

        const string clientTrace = "0af7651916cd43dd8448eb211c80319c";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gw.ProxyUrl, "/read/ml/p/x"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", gw.RootKey);
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{clientTrace}-b7ad6b7169203331-01");
        using var response = await gw.Http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        using var denied = await gw.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(gw.ProxyUrl, "/read/ml/p/x"))
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "gw_not_a_key") },
        });
        Assert.Equal(401, (int)denied.StatusCode);

        // The ActivitySource is process-wide: gateways of other tests running in this process export
        // here too. This gateway's spans are the traces whose root carries its route id.
        List<Span> Ours()
        {
            var all = exports.SelectMany(Spans).ToList();
            var traces = all.Where(s => s.Name == "gateway.request" && s.Attributes.GetValueOrDefault("gateway.route") == "traced").Select(s => s.TraceId).ToHashSet();
            return all.Where(s => traces.Contains(s.TraceId)).ToList();
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        List<Span> spans;
        while ((spans = Ours()).Count(s => s.Name == "gateway.request") < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"spans exported so far: {string.Join(", ", spans.Select(s => s.Name + "/" + s.TraceId + "/" + string.Join(";", s.Attributes.Select(a => a.Key + "=" + a.Value))))}");
            await Task.Delay(200);
        }

        var trace = spans.Where(s => s.TraceId == clientTrace).ToList();
        Assert.Equal(["gateway.authenticate", "gateway.decide", "gateway.forward", "gateway.request"], trace.Select(s => s.Name).Order());
        var root = trace.Single(s => s.Name == "gateway.request");
        Assert.Equal("b7ad6b7169203331", root.ParentId);
        Assert.All(trace.Where(s => s != root), s => Assert.Equal(root.SpanId, s.ParentId));
        Assert.Equal("traced", root.Attributes["gateway.route"]);
        Assert.Equal("allowed", trace.Single(s => s.Name == "gateway.decide").Attributes["gateway.outcome"]);
        // The upstream continues the same trace below the forward span (HttpClient adds its own span in
        // between), never with the client's span as its parent.
        var upstreamParent = echo.Received.Last().Single("traceparent")!.Split('-');
        Assert.Equal(clientTrace, upstreamParent[1]);
        Assert.NotEqual("b7ad6b7169203331", upstreamParent[2]);
        Assert.Equal("01", upstreamParent[3]);

        var failed = spans.Single(s => s.Name == "gateway.authenticate" && s.TraceId != clientTrace);
        Assert.Equal("failed", failed.Attributes["gateway.outcome"]);
        var everything = string.Concat(exports.Select(Convert.ToBase64String)) + string.Join("", spans.SelectMany(s => s.Attributes.Values));
        Assert.DoesNotContain(gw.RootKey, everything);
        Assert.DoesNotContain("gw_not_a_key", everything);
    }

    /// <summary>
    /// Without tracing configured no Activity exists for a request: ASP.NET Core would start one for
    /// log correlation while its hosting log category is enabled (about 2 KB a request), and HttpClient
    /// would then write its made-up traceparent into the forwarded request. So a request without a
    /// traceparent reaches the upstream without one, and a client's passes through as sent (a trace
    /// context grants nothing, as in plain YARP).
    /// </summary>
    [Fact]
    public async Task WithoutTracing_NoActivityIsMade_AndTheClientsTraceparentPassesAsSent()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await StartReadRouteAsync(echo, "plain");

        using var bare = new HttpRequestMessage(HttpMethod.Get, new Uri(gw.ProxyUrl, "/read/ml/p/x"));
        bare.Headers.Authorization = new AuthenticationHeaderValue("Bearer", gw.RootKey);
        using (var response = await gw.Http.SendAsync(bare))
        {
            Assert.Equal(200, (int)response.StatusCode);
        }

        Assert.Null(echo.Received.Last().Single("traceparent"));

        const string clientParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var traced = new HttpRequestMessage(HttpMethod.Get, new Uri(gw.ProxyUrl, "/read/ml/p/y"));
        traced.Headers.Authorization = new AuthenticationHeaderValue("Bearer", gw.RootKey);
        traced.Headers.TryAddWithoutValidation("traceparent", clientParent);
        using (var response = await gw.Http.SendAsync(traced))
        {
            Assert.Equal(200, (int)response.StatusCode);
        }

        Assert.Equal(clientParent, echo.Received.Last().Single("traceparent"));
    }
}
