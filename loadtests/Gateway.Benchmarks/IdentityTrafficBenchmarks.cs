using Gateway.GraphQL.Scope;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using System.Collections.Frozen;
using System.Collections.Immutable;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Gateway.BodyScope;
using Gateway.Directory;
using Gateway.GraphQL;
using Gateway.Otlp;
using Gateway.Policy.Model;
using Gateway.Store;
using Gateway.Weave;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Benchmarks;

/// <summary>
/// Identity-dependent traffic: UpsertBucket under the shipped rule table, the null-entity body rewrite,
/// a local viewer answer, an id cache hit and a real id lookup over loopback, a 1 MiB OTLP export and
/// a 1 000-ref read_batch.
/// </summary>
[MemoryDiagnoser]
public class IdentityTrafficBenchmarks
{
    private BodyLimits _limits = null!;
    private byte[] _upsert = [];
    private byte[] _upsertNullEntity = [];
    private byte[] _viewer = [];
    private byte[] _otlp = [];
    private byte[] _refs = [];
    private GraphQlAnalysis _nullEntityAnalysis = null!;
    private GraphQlAnalysis _viewerAnalysis = null!;
    private ViewerAnswer.Facts _facts = null!;
    private IdResolver _resolver = null!;
    private Gateway.Store.LiteDbGatewayStore _store = null!;
    private string _storeDirectory = "";
    private readonly HttpMessageInvoker _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false });
    private IdTypeLookup _runLookup = null!;
    private Microsoft.AspNetCore.Builder.WebApplication _upstream = null!;
    private Uri _upstreamUrl = null!;
    private int _miss;

    [GlobalSetup]
    public void Setup()
    {
        var errors = new List<string>();
        var rules = GraphQlRuleTable.Load("bench", GraphQlRuleTable.BuiltinWandb, ".", errors)!;
        _limits = new BodyLimits
        {
            MaxBytes = BodyLimits.DefaultGraphQlBytes, MaxDecompressedBytes = BodyLimits.DefaultGraphQlBytes,
            EntityNames = BodyLimits.DefaultEntityNames.ToFrozenSet(StringComparer.Ordinal),
            ProjectNames = BodyLimits.DefaultProjectNames.ToFrozenSet(StringComparer.Ordinal), Rules = rules,
        };
        _upsert = Encoding.UTF8.GetBytes(ScopeExtractionBenchmarks.UpsertBucketBody());
        using (var doc = JsonDocument.Parse(_upsert))
        {
            var query = doc.RootElement.GetProperty("query").GetString();
            _upsertNullEntity = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { query, variables = new { entity = (string?)null, project = "resnet", name = "run-1" } }));
        }

        _viewer = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { query = "query DefaultEntity { viewer { username defaultEntity { name } teams { edges { node { name } } } } }" }));
        _nullEntityAnalysis = GraphQlScopeExtractor.Analyze(_upsertNullEntity, _limits, rules, "ml-team");
        _viewerAnalysis = GraphQlScopeExtractor.Analyze(_viewer, _limits, rules, "ml-team");
        var user = new User
        {
            Id = "u1", Org = "acme", Username = "alice", Email = "alice@acme.example",
            Teams = ImmutableDictionary<string, TeamRole>.Empty.Add("ml-team", TeamRole.Member),
        };
        _facts = new ViewerAnswer.Facts(user, DirectorySnapshot.Empty, [("3kTz9QbLmV2x", "laptop")]);
        _otlp = Otlp(1024 * 1024);
        _refs = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { refs = Enumerable.Range(0, 1000).Select(i => $"weave:///ml-team/resnet/object/ds{i % 50}:abcdef{i}").ToArray() }));
        Console.WriteLine($"// OTLP body: {_otlp.Length} bytes; read_batch body: {_refs.Length} bytes");

        _upstream = StartLookupUpstream(out _upstreamUrl);
        // Learned ids need a store; the lookups measured here never read it.
        _storeDirectory = System.IO.Directory.CreateTempSubdirectory("gw-bench-").FullName;
        _store = new Gateway.Store.LiteDbGatewayStore(Path.Combine(_storeDirectory, "gateway.db"));
        _resolver = new IdResolver(TimeProvider.System, NullLogger<IdResolver>.Instance, _store);
        _runLookup = rules.IdTypes["Run"];
        _ = _resolver.ResolveAsync(_runLookup, "UnVuOjE=", _http, _upstreamUrl, "Basic x", default).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _http.Dispose();
        _store.Dispose();
        System.IO.Directory.Delete(_storeDirectory, recursive: true);
        _upstream.StopAsync().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "GraphQL UpsertBucket under the rule table")]
    public int UpsertBucketRules() => GraphQlScopeExtractor.Analyze(_upsert, _limits, _limits.Rules, "ml-team").References.Count;

    /// <summary>The floor under a plan hit: reading the JSON envelope, which every request pays.</summary>
    [Benchmark(Description = "GraphQL UpsertBucket: JSON envelope read only")]
    public int UpsertBucketEnvelopeOnly()
    {
        using var json = JsonDocument.Parse(_upsert);
        return json.RootElement.GetProperty("variables").GetPropertyCount();
    }

    [Benchmark(Description = "null entity made explicit (rewrite)")]
    public int RewriteNullEntity() => GraphQlBodyRewriter.Rewrite(_upsertNullEntity, _nullEntityAnalysis, "ml-team").Length;

    [Benchmark(Description = "viewer answered locally (analyze + answer)")]
    public int ViewerAnswer()
    {
        var analysis = GraphQlScopeExtractor.Analyze(_viewer, _limits, _limits.Rules, "ml-team");
        return LocalAnswer.Build(analysis, _facts).Length;
    }

    [Benchmark(Description = "id resolution, cache hit")]
    public async Task<string?> IdCacheHit() => (await _resolver.ResolveAsync(_runLookup, "UnVuOjE=", _http, _upstreamUrl, "Basic x", default)).Entity;

    [Benchmark(Description = "id resolution, lookup over loopback (cache miss)")]
    public async Task<string?> IdLookup() => (await _resolver.ResolveAsync(_runLookup, "UnVuOj" + Interlocked.Increment(ref _miss), _http, _upstreamUrl, "Basic x", default)).Entity;

    [Benchmark(Description = "OTLP export 1 MiB")]
    public int Otlp1MiB() => OtlpScopeExtractor.Extract(_otlp, null).Count;

    [Benchmark(Description = "read_batch 1000 refs")]
    public int ReadBatch1000() => RefsReadBatchScopeExtractor.Extract(_refs).Count;

    private static Microsoft.AspNetCore.Builder.WebApplication StartLookupUpstream(out Uri url)
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("{\"data\":{\"run\":{\"project\":{\"name\":\"resnet\",\"entityName\":\"ml-team\"}}}}");
        });
        app.StartAsync().GetAwaiter().GetResult();
        var server = app.Services.GetService(typeof(Microsoft.AspNetCore.Hosting.Server.IServer)) as Microsoft.AspNetCore.Hosting.Server.IServer;
        url = new Uri(new Uri(server!.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First()), "graphql");
        return app;
    }

    private static byte[] Otlp(int target)
    {
        ByteString Msg(Action<CodedOutputStream> write)
        {
            var s = new MemoryStream();
            var o = new CodedOutputStream(s);
            write(o);
            o.Flush();
            return ByteString.CopyFrom(s.ToArray());
        }

        ByteString Kv(string key, string value) => Msg(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(key);
            o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteBytes(Msg(a => { a.WriteTag(1, WireFormat.WireType.LengthDelimited); a.WriteString(value); }));
        });

        var span = Msg(o =>
        {
            o.WriteTag(5, WireFormat.WireType.LengthDelimited); o.WriteString("llm.call");
            for (var i = 0; i < 4; i++)
            {
                o.WriteTag(9, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(Kv("gen_ai.input.messages." + i, "[{\"role\":\"user\",\"content\":\"Summarize the experiment results for the quarterly report, please.\"}]"));
            }
        });
        var resource = Msg(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(Kv("wandb.entity", "ml-team"));
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteBytes(Kv("wandb.project", "resnet"));
        });
        var scopeSpans = Msg(o =>
        {
            var size = 0;
            while (size < target)
            {
                o.WriteTag(2, WireFormat.WireType.LengthDelimited);
                o.WriteBytes(span);
                size += span.Length + 4;
            }
        });
        return Msg(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(Msg(r =>
            {
                r.WriteTag(1, WireFormat.WireType.LengthDelimited); r.WriteBytes(resource);
                r.WriteTag(2, WireFormat.WireType.LengthDelimited); r.WriteBytes(scopeSpans);
            }));
        }).ToByteArray();
    }
}
