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

    public static string UpsertBucketBody()
    {
        // The shape the wandb SDK sends: a long mutation with many variables and a nested selection.
        const string query = """
            mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String, $groupName: String,
              $description: String, $displayName: String, $notes: String, $commit: String, $config: JSONString, $host: String,
              $debug: Boolean, $program: String, $repo: String, $jobType: String, $state: String, $sweep: String, $tags: [String!],
              $summaryMetrics: JSONString) {
              upsertBucket(input: {id: $id, name: $name, groupName: $groupName, modelName: $project, entityName: $entity,
                description: $description, displayName: $displayName, notes: $notes, config: $config, commit: $commit, host: $host,
                debug: $debug, jobProgram: $program, jobRepo: $repo, jobType: $jobType, state: $state, sweep: $sweep, tags: $tags,
                summaryMetrics: $summaryMetrics}) {
                bucket { id name displayName description config sweepName historyLineCount
                  project { id name entity { id name } }
                  summaryMetrics }
                inserted
              }
            }
            """;
        var variables = new Dictionary<string, object?>
        {
            ["entity"] = "ml-team", ["project"] = "resnet", ["name"] = "run-42", ["groupName"] = "sweep-7", ["description"] = "baseline run",
            ["displayName"] = "fluent-sun-42", ["notes"] = null, ["commit"] = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
            ["config"] = "{\"lr\": {\"value\": 0.001}, \"batch_size\": {\"value\": 128}, \"epochs\": {\"value\": 90}, \"optimizer\": {\"value\": \"adamw\"}}",
            ["host"] = "gpu-node-17", ["debug"] = false, ["program"] = "train.py", ["repo"] = "https://github.com/example/vision.git",
            ["jobType"] = "train", ["state"] = "running", ["sweep"] = null, ["tags"] = new[] { "baseline", "resnet50", "imagenet" },
            ["summaryMetrics"] = "{\"loss\": 0.4213, \"acc\": 0.871}",
        };
        return JsonSerializer.Serialize(new { query, variables, operationName = "UpsertBucket" });
    }

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
}
