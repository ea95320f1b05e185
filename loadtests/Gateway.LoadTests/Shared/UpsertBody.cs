using System.Text.Json;

namespace Gateway.Benchmarks;

/// <summary>The wandb SDK's UpsertBucket request, with ENTITY and PROJECT placeholders (shared with the benchmarks).</summary>
internal static class UpsertBody
{
    public const string Query = """
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

    public static readonly string Template = JsonSerializer.Serialize(new
    {
        query = Query,
        variables = new Dictionary<string, object?>
        {
            ["entity"] = "ENTITY", ["project"] = "PROJECT", ["name"] = "run-42", ["groupName"] = "sweep-7", ["description"] = "baseline run",
            ["displayName"] = "fluent-sun-42", ["notes"] = null, ["commit"] = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
            ["config"] = "{\"lr\": {\"value\": 0.001}, \"batch_size\": {\"value\": 128}, \"epochs\": {\"value\": 90}, \"optimizer\": {\"value\": \"adamw\"}}",
            ["host"] = "gpu-node-17", ["debug"] = false, ["program"] = "train.py", ["repo"] = "https://github.com/example/vision.git",
            ["jobType"] = "train", ["state"] = "running", ["sweep"] = null, ["tags"] = new[] { "baseline", "resnet50", "imagenet" },
            ["summaryMetrics"] = "{\"loss\": 0.4213, \"acc\": 0.871}",
        },
        operationName = "UpsertBucket",
    });
}
