using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Tests.Common;
using Google.Protobuf;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>Weave refs and OTLP export through the gateway in front of a recording upstream.</summary>
public sealed class WeaveAndOtlpTests(SharedUpstreamFixture fixture) : IClassFixture<SharedUpstreamFixture>
{
    private async Task<(ApiResponse Response, EchoRequest? Upstream)> SendAsync(string who, string path, HttpContent content, Action<HttpRequestMessage>? configure = null)
    {
        var marker = Guid.NewGuid().ToString("N");
        var response = await fixture.Gw.SendAsync(new Uri(fixture.Gw.ProxyUrl, path), HttpMethod.Post, fixture.Keys[who], null, r =>
        {
            r.Content = content;
            r.Headers.Add("X-Test-Marker", marker);
            configure?.Invoke(r);
        });
        return (response, fixture.Upstream.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker));
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private Task<(ApiResponse Response, EchoRequest? Upstream)> RefsAsync(string who, params string[] refs) => SendAsync(who, "/traces/refs/read_batch", Json(new { refs }));

    [Fact]
    public async Task ReadBatch_AuthorizesEveryRef()
    {
        var (ok, upstream) = await RefsAsync("ci@ml", "weave:///ml/team-p/object/ds:abc", "weave:///ml/open-p/op/f:def/attr/rows/index/0");
        Assert.Equal(200, ok.Status);
        Assert.Equal("/refs/read_batch", upstream!.Path);

        foreach (var (refs, status, code) in new (string[], int, string)[]
                 {
                     (["weave:///ml/team-p/object/a:1", "weave:///ml/secret/object/b:2"], 404, "project_not_found"),
                     (["weave:///cv/cv-p/object/a:1"], 403, "outside_service_account_scope"),
                     (["weave-trace-internal:///UHJvamVjdDox/object/a:1"], 400, "invalid_ref"),
                     (["wandb-artifact:///ml/team-p/abc"], 400, "invalid_ref"),
                     (["weave:///ml/team-p/bogus/a:1"], 400, "invalid_ref"),
                     (["weave:///ml/team%2Dp/object/a:1"], 400, "invalid_ref"),
                     (["weave:///ml"], 400, "invalid_ref"),
                 })
        {
            var (refused, refusedUpstream) = await RefsAsync("ci@ml", refs);
            Assert.True(refused.Status == status && refused.Code == code, $"{string.Join(",", refs)}: {refused}");
            Assert.Null(refusedUpstream);
        }

        var (tooMany, _) = await RefsAsync("ci@ml", Enumerable.Range(0, 1001).Select(i => $"weave:///ml/team-p/object/o{i}:1").ToArray());
        Assert.Equal("too_many_refs", tooMany.Code);
        var (extra, _) = await SendAsync("ci@ml", "/traces/refs/read_batch", Json(new { refs = new[] { "weave:///ml/team-p/object/a:1" }, project_id = "ml/team-p" }));
        Assert.Equal(400, extra.Status);
    }

    [Fact]
    public async Task RefsInsideOtherWeaveBodies_AreAuthorizedToo()
    {
        var ok = new { project_id = "ml/team-p", start = new { op_name = "weave:///ml/open-p/op/f:1", inputs = new { x = "weave:///ml/team-p/object/d:2" } } };
        Assert.Equal(200, (await SendAsync("ci@ml", "/traces/call/start", Json(ok))).Response.Status);
        foreach (var (body, code) in new (object, string)[]
                 {
                     (new { project_id = "ml/team-p", start = new { op_name = "weave:///ml/secret/op/f:1" } }, "project_not_found"),
                     // A ref serialized into a string inside the body.
                     (new { project_id = "ml/team-p", start = new { inputs = new { messages = "[{\"ref\": \"weave:///ml/secret/object/p:1\"}]" } } }, "project_not_found"),
                     (new { project_id = "ml/team-p", start = new { inputs = new { x = "weave-trace-internal:///abc/object/p:1" } } }, "invalid_ref"),
                     (new { project_id = "ml/team-p", start = new { wb_run_id = "cv/cv-p/run1" } }, "outside_service_account_scope"),
                 })
        {
            var (refused, upstream) = await SendAsync("ci@ml", "/traces/call/start", Json(body));
            Assert.True(refused.Code == code, refused.ToString());
            Assert.Null(upstream);
        }
    }

    [Fact]
    public async Task Otlp_ProjectFromHeaderAndResources_EachAuthorized()
    {
        var (header, headerUpstream) = await OtlpAsync(Export((null, null, null)), "ml/team-p");
        Assert.True(header.Status == 200, header.ToString());
        Assert.Equal("/otel/v1/traces", headerUpstream!.Path);
        Assert.Equal("team-p", headerUpstream.Single("X-Gateway-Project"));

        var (resource, _) = await OtlpAsync(Export(("ml", "open-p", null)), null);
        Assert.Equal(200, resource.Status);

        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Export(("ml", "team-p", null)));
        }

        var (zipped, zippedUpstream) = await OtlpAsync(compressed.ToArray(), null, "gzip");
        Assert.Equal(200, zipped.Status);
        Assert.Equal(Convert.ToBase64String(compressed.ToArray()), zippedUpstream!.BodyBase64);

        foreach (var (body, projectId, status, code) in new (byte[], string?, int, string)[]
                 {
                     (Export(("ml", "team-p", null), ("cv", "cv-p", null)), null, 403, "outside_service_account_scope"),
                     (Export(("ml", "secret", null)), null, 404, "project_not_found"),
                     (Export(("ml", "team-p", null)), "ml/open-p", 400, "scope_conflict"),
                     (Export((null, null, null)), null, 400, "scope_not_found"),
                     (Export(("ml", null, null)), null, 400, "invalid_scope"),
                     (Export(("ml", "team-p", "weave:///ml/secret/object/x:1")), null, 404, "project_not_found"),
                     ([0x0A, 0xFF, 0x01], null, 400, "invalid_protobuf"),
                 })
        {
            var (refused, upstream) = await OtlpAsync(body, projectId);
            Assert.True(refused.Status == status && refused.Code == code, refused.ToString());
            Assert.Null(upstream);
        }

        var (json, _) = await SendAsync("ci@ml", "/traces/otel/v1/traces", Json(new { }));
        Assert.Equal(415, json.Status);
    }

    [Fact]
    public async Task Otlp_AttributesAreReadAsProtobufReadsThem_TheLastOneofMemberCounts()
    {
        static ByteString Any(Action<CodedOutputStream> members) => Message(members);
        static ByteString Text(string value) => Any(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(value); });
        static byte[] Export(ByteString entity, ByteString project)
        {
            static ByteString Attribute(string key, ByteString value) => Message(o =>
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(key);
                o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(value);
            });
            var resource = Message(o =>
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(Attribute("wandb.entity", entity));
                o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(Attribute("wandb.project", project));
            });
            var resourceSpans = Message(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(resource); });
            return Message(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(resourceSpans); }).ToByteArray();
        }

        // string_value "ml" then int_value 7: protobuf keeps the int, so the entity is no string at all.
        var stringThenInt = Any(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString("ml"); o.WriteTag(3, WireFormat.WireType.Varint); o.WriteInt64(7); });
        var (refused, upstream) = await OtlpAsync(Export(stringThenInt, Text("team-p")), null);
        Assert.True(refused.Status == 400 && refused.Code == "invalid_scope", refused.ToString());
        Assert.Null(upstream);
        // int_value then string_value "cv": the string is the value, and it is what is authorized.
        var intThenString = Any(o => { o.WriteTag(3, WireFormat.WireType.Varint); o.WriteInt64(7); o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString("cv"); });
        var (other, _) = await OtlpAsync(Export(intThenString, Text("cv-p")), null);
        Assert.True(other.Status == 403 && other.Code == "outside_service_account_scope", other.ToString());
        // A member on a wire type other than its own: runtimes differ, refused.
        var wrongWire = Any(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString("ml"); o.WriteTag(1, WireFormat.WireType.Varint); o.WriteInt64(1); });
        var (malformed, _) = await OtlpAsync(Export(wrongWire, Text("team-p")), null);
        Assert.True(malformed.Status == 400 && malformed.Code == "invalid_protobuf", malformed.ToString());
        // The plain form still works.
        var (ok, forwarded) = await OtlpAsync(Export(Text("ml"), Text("team-p")), null);
        Assert.True(ok.Status == 200 && forwarded is not null, ok.ToString());
    }

    [Theory]
    [InlineData(12, false)]
    [InlineData(13, true)]
    public void Otlp_AttributeValuesNestAtMostTwelveLevels(int levels, bool refused)
    {
        // A span attribute whose value is an array in an array ... around a string.
        var value = Message(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString("deep"); });
        for (var i = 1; i < levels; i++)
        {
            var inner = value;
            var array = Message(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(inner); });
            value = Message(o => { o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteBytes(array); });
        }

        var attribute = Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString("nested");
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(value);
        });
        var span = Message(o => { o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(attribute); });
        var scopeSpans = Message(o => { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(span); });
        var resourceSpans = Message(o => { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(scopeSpans); });
        var body = Message(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(resourceSpans); }).ToByteArray();
        if (refused)
        {
            Assert.Equal("invalid_protobuf", Assert.Throws<Gateway.BodyScope.BodyScopeException>(() => Gateway.Otlp.OtlpScopeExtractor.Extract(body, "ml/team-p")).Code);
        }
        else
        {
            Assert.Single(Gateway.Otlp.OtlpScopeExtractor.Extract(body, "ml/team-p"));
        }
    }

    private Task<(ApiResponse Response, EchoRequest? Upstream)> OtlpAsync(byte[] body, string? projectId, string? encoding = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        if (encoding is not null)
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        return SendAsync("ci@ml", "/traces/otel/v1/traces", content, r =>
        {
            if (projectId is not null)
            {
                r.Headers.TryAddWithoutValidation("project_id", projectId);
            }
        });
    }

    // ExportTraceServiceRequest with one ResourceSpans per item: resource attributes, one span whose attribute may hold a ref.
    internal static byte[] Export(params (string? Entity, string? Project, string? SpanRef)[] resources)
    {
        var request = new MemoryStream();
        var output = new CodedOutputStream(request);
        foreach (var (entity, project, spanRef) in resources)
        {
            var resource = Message(o =>
            {
                if (entity is not null) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(KeyValue("wandb.entity", entity)); }
                if (project is not null) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(KeyValue("wandb.project", project)); }
                o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(KeyValue("service.name", "test"));
            });
            var span = Message(o =>
            {
                o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteString("span");
                o.WriteTag(9, WireFormat.WireType.LengthDelimited); o.WriteBytes(KeyValue("gen_ai.input.messages", spanRef ?? "plain"));
            });
            var scopeSpans = Message(o => { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(span); });
            var resourceSpans = Message(o =>
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(resource);
                o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(scopeSpans);
            });
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(resourceSpans);
        }

        output.Flush();
        return request.ToArray();
    }

    private static ByteString KeyValue(string key, string value)
    {
        var any = Message(o => { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(value); });
        return Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(key);
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(any);
        });
    }

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        write(output);
        output.Flush();
        return ByteString.CopyFrom(stream.ToArray());
    }
}
