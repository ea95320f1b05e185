using Gateway.GraphQL.Scope;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Gateway.BodyScope;
using Gateway.Policy.Model;

namespace Gateway.Benchmarks;

/// <summary>Body scope extraction: a wandb UpsertBucket request (about 2 KB) and a 1 MiB Weave upsert_batch.</summary>
[MemoryDiagnoser]
public class ScopeExtractionBenchmarks
{
    private static readonly BodyLimits GraphQlLimits = new()
    {
        MaxBytes = BodyLimits.DefaultGraphQlBytes, MaxDecompressedBytes = BodyLimits.DefaultGraphQlBytes,
        EntityNames = BodyLimits.DefaultEntityNames.ToFrozenSet(StringComparer.Ordinal),
        ProjectNames = BodyLimits.DefaultProjectNames.ToFrozenSet(StringComparer.Ordinal),
    };

    private static readonly BodyLimits JsonLimits = new() { MaxBytes = BodyLimits.DefaultJsonBytes, MaxDecompressedBytes = BodyLimits.DefaultJsonBytes };

    private byte[] _upsertBucket = [];
    private byte[] _weaveBatch = [];
    private byte[] _weaveBatchWithoutRefs = [];

    public static string UpsertBucketBody() => UpsertBody.Template.Replace("ENTITY", "ml-team").Replace("PROJECT", "resnet");

    public static string WeaveBatchBody(int targetBytes)
    {
        var builder = new StringBuilder("{\"batch\": [");
        var i = 0;
        while (builder.Length < targetBytes)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            builder.Append("{\"mode\": \"start\", \"req\": {\"start\": {\"project_id\": \"ml-team/resnet\", \"id\": \"call-").Append(i)
                .Append("\", \"op_name\": \"weave:///ml-team/resnet/op/predict:v3\", \"trace_id\": \"t-").Append(i / 10)
                .Append("\", \"started_at\": \"2026-11-23T12:00:00Z\", \"attributes\": {\"model\": \"gpt\", \"temperature\": 0.2},")
                .Append(" \"inputs\": {\"prompt\": \"Summarize the experiment results for the quarterly report, please.\", \"n\": 3}}}}");
            i++;
        }

        return builder.Append("]}").ToString();
    }

    [GlobalSetup]
    public void Setup()
    {
        _upsertBucket = Encoding.UTF8.GetBytes(UpsertBucketBody());
        _weaveBatch = Encoding.UTF8.GetBytes(WeaveBatchBody(1024 * 1024));
        _weaveBatchWithoutRefs = Encoding.UTF8.GetBytes(WeaveBatchBody(1024 * 1024).Replace("weave:///", "weave-op-"));
        Console.WriteLine($"// UpsertBucket body: {_upsertBucket.Length} bytes; Weave batch: {_weaveBatch.Length} bytes");
    }

    [Benchmark]
    public int GraphQlUpsertBucket() => GraphQlScopeExtractor.Extract(_upsertBucket, GraphQlLimits).Count;

    /// <summary>The floor: the required GraphQL parser alone, on the same query (what the extractor cannot avoid).</summary>
    [Benchmark]
    public int GraphQlParserOnly()
    {
        using var json = JsonDocument.Parse(_upsertBucket);
        var query = json.RootElement.GetProperty("query").GetString()!;
        return GraphQLParser.Parser.Parse(query, new GraphQLParser.ParserOptions { Ignore = GraphQLParser.IgnoreOptions.All }).Definitions.Count;
    }

    [Benchmark]
    public int WeaveJson1MiB() => JsonScopeExtractor.Extract(_weaveBatch, JsonLimits, AccessAction.Write).Count;

    /// <summary>The same batch with op names that are not refs: what scanning string values for refs costs.</summary>
    [Benchmark]
    public int WeaveJson1MiBWithoutRefs() => JsonScopeExtractor.Extract(_weaveBatchWithoutRefs, JsonLimits, AccessAction.Write).Count;
}
