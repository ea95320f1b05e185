using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Common;

/// <summary>
/// A fake W&amp;B-style upstream that behaves like the shared user behind one upstream key: its viewer is
/// <c>shared-user</c> (default entity <c>shared-user</c>), a null entity on upsertBucket lands in that
/// entity (as the real server does), <c>models</c> lists every project of an entity (restricted ones
/// included), and the gateway's id lookups are answered from <see cref="Ids"/>. It records every
/// request (lookups separately) and the Weave and OTLP routes answer what they received.
/// </summary>
public sealed class SharedUserUpstream : IAsyncDisposable
{
    public const string SharedEntity = "shared-user";
    private readonly WebApplication _app;

    private SharedUserUpstream(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>Requests forwarded by the gateway (its own lookups excluded).</summary>
    public ConcurrentQueue<EchoRequest> Received { get; } = new();

    /// <summary>The gateway's id lookups.</summary>
    public ConcurrentQueue<string> Lookups { get; } = new();

    /// <summary>Ids the upstream knows: id → (entity, project).</summary>
    public ConcurrentDictionary<string, (string Entity, string Project)> Ids { get; } = new();

    /// <summary>Projects per entity, as the upstream would list them.</summary>
    public ConcurrentDictionary<string, string[]> Projects { get; } = new();

    public bool Fail { get; set; }

    /// <summary>
    /// When set, the GraphQL answer is replaced: given the well-formed answer, returns the body (and
    /// content type) to send instead, as a misbehaving or compromised upstream would.
    /// </summary>
    public Func<string, (string Body, string ContentType)>? Misanswer { get; set; }

    public static async Task<SharedUserUpstream> StartAsync()
    {
        SharedUserUpstream? self = null;
        var (app, url) = await LoopbackHost.StartAsync(app => app.Run(async context =>
        {
            var request = await EchoRequest.ReadAsync(context);
            if (self!.Fail)
            {
                context.Response.StatusCode = 500;
                return;
            }

            context.Response.ContentType = "application/json";
            if (context.Request.Path == "/graphql" && request.Body.Contains("query Gateway", StringComparison.Ordinal))
            {
                self.Lookups.Enqueue(request.Body);
                await context.Response.WriteAsync(self.Lookup(request.Body));
                return;
            }

            self.Received.Enqueue(request);
            if (context.Request.Path == "/graphql" && self.Misanswer is { } misanswer)
            {
                var (body, type) = misanswer(self.Answer(request.Body));
                context.Response.ContentType = type;
                await context.Response.WriteAsync(body);
                return;
            }

            await context.Response.WriteAsync(context.Request.Path == "/graphql" ? self.Answer(request.Body) : JsonSerializer.Serialize(request));
        }));
        self = new SharedUserUpstream(app, url);
        return self;
    }

    private string Lookup(string body)
    {
        using var json = JsonDocument.Parse(body);
        var query = json.RootElement.GetProperty("query").GetString()!;
        var id = json.RootElement.GetProperty("variables").GetProperty("id").GetString()!;
        // The root field of the lookup document: "node: project(" or "run(".
        var selection = query[(query.IndexOf('{') + 1)..].Trim();
        var root = selection[..selection.IndexOfAny([':', '('])].Trim();
        if (!Ids.TryGetValue(id, out var scope))
        {
            return $"{{\"data\":{{\"{root}\":null}}}}";
        }

        // Build the nested object along the lookup's entity path shape (…project { name entityName }).
        var project = new JsonObject { ["name"] = scope.Project, ["entityName"] = scope.Entity };
        JsonNode node = root switch
        {
            "node" => project,
            "artifact" => new JsonObject { ["artifactSequence"] = new JsonObject { ["project"] = project } },
            _ => new JsonObject { ["project"] = project },
        };
        return new JsonObject { ["data"] = new JsonObject { [root] = node } }.ToJsonString();
    }

    // The shared user's answers: the identity it would leak, a null entity resolved to its own entity.
    private string Answer(string body)
    {
        using var json = JsonDocument.Parse(body);
        if (json.RootElement.ValueKind == JsonValueKind.Array)
        {
            return "[" + string.Join(",", json.RootElement.EnumerateArray().Select(One)) + "]";
        }

        return One(json.RootElement);

        string One(JsonElement envelope)
        {
            var query = envelope.GetProperty("query").GetString()!;
            var variables = envelope.TryGetProperty("variables", out var v) && v.ValueKind == JsonValueKind.Object ? v : default;
            var data = new JsonObject();
            if (query.Contains("viewer", StringComparison.Ordinal))
            {
                data["viewer"] = new JsonObject
                {
                    ["id"] = "VXNlcjo5OTk=", ["entity"] = SharedEntity, ["username"] = SharedEntity, ["email"] = "shared@upstream.example",
                    ["flags"] = "{\"code_saving_enabled\":true}", ["admin"] = true,
                    ["teams"] = new JsonObject { ["edges"] = new JsonArray(new JsonObject { ["node"] = new JsonObject { ["name"] = "shared-team" } }) },
                };
            }

            if (query.Contains("upsertBucket", StringComparison.Ordinal))
            {
                var entity = variables.ValueKind == JsonValueKind.Object && variables.TryGetProperty("entity", out var e) && e.ValueKind == JsonValueKind.String
                    ? e.GetString()
                    : EntityLiteral(query) ?? SharedEntity;
                var project = variables.ValueKind == JsonValueKind.Object && variables.TryGetProperty("project", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : "uncategorized";
                data["upsertBucket"] = new JsonObject
                {
                    ["bucket"] = new JsonObject
                    {
                        ["id"] = "UnVuOjQy", ["name"] = "run-1", ["displayName"] = "run-1",
                        ["project"] = new JsonObject { ["id"] = "UHJvamVjdDox", ["name"] = project, ["entity"] = new JsonObject { ["id"] = "RW50aXR5OjE=", ["name"] = entity } },
                    },
                    ["inserted"] = true,
                };
            }

            // Creates answer a new id each time, as the service does; by-id operations echo theirs.
            if (query.Contains("createAgent", StringComparison.Ordinal))
            {
                data["createAgent"] = new JsonObject { ["agent"] = new JsonObject { ["id"] = NewId("Agent") } };
            }

            if (query.Contains("agentHeartbeat", StringComparison.Ordinal))
            {
                data["agentHeartbeat"] = new JsonObject { ["agent"] = new JsonObject { ["id"] = "echo" }, ["commands"] = "[]" };
            }

            if (query.Contains("pushToRunQueueByName", StringComparison.Ordinal))
            {
                data["pushToRunQueueByName"] = new JsonObject { ["runQueueItemId"] = NewId("RunQueueItem"), ["runSpec"] = "{}" };
            }

            if (query.Contains("ackRunQueueItem", StringComparison.Ordinal))
            {
                data["ackRunQueueItem"] = new JsonObject { ["success"] = true };
            }

            if (query.Contains("upsertSweep", StringComparison.Ordinal))
            {
                var id = NewId("Sweep");
                Ids[id] = (Str(variables, "entityName") ?? SharedEntity, Str(variables, "projectName") ?? "uncategorized");
                data["upsertSweep"] = new JsonObject { ["sweep"] = new JsonObject { ["name"] = "sw" + _created, ["id"] = id }, ["configValidationWarnings"] = new JsonArray() };
            }

            if (query.Contains("createArtifactType", StringComparison.Ordinal))
            {
                data["createArtifactType"] = new JsonObject { ["artifactType"] = new JsonObject { ["id"] = NewId("ArtifactType") } };
            }
            else if (query.Contains("createArtifact(", StringComparison.Ordinal))
            {
                // A created artifact is known to the service (and so to the gateway's id lookups) in its project.
                var id = NewId("Artifact");
                Ids[id] = (Str(variables, "entityName") ?? SharedEntity, Str(variables, "projectName") ?? "uncategorized");
                data["createArtifact"] = new JsonObject { ["artifact"] = new JsonObject { ["id"] = id, ["state"] = "PENDING", ["artifactSequence"] = new JsonObject { ["id"] = NewId("ArtifactSequence"), ["latestArtifact"] = null } } };
            }

            if (query.Contains("createArtifactManifest", StringComparison.Ordinal))
            {
                data["createArtifactManifest"] = new JsonObject { ["artifactManifest"] = new JsonObject { ["id"] = NewId("ArtifactManifest"), ["file"] = new JsonObject { ["id"] = "RmlsZTox", ["name"] = "wandb_manifest.json", ["displayName"] = "wandb_manifest.json" } } };
            }

            if (query.Contains("createArtifactFiles", StringComparison.Ordinal))
            {
                data["createArtifactFiles"] = new JsonObject { ["files"] = new JsonObject { ["edges"] = new JsonArray() } };
            }

            if (query.Contains("commitArtifact", StringComparison.Ordinal))
            {
                data["commitArtifact"] = new JsonObject { ["artifact"] = new JsonObject { ["id"] = Str(variables, "artifactID"), ["digest"] = "d" } };
            }

            if (query.Contains("useArtifact", StringComparison.Ordinal))
            {
                data["useArtifact"] = new JsonObject { ["artifact"] = new JsonObject { ["id"] = Str(variables, "artifactID"), ["digest"] = "d" } };
            }

            if (query.Contains("models(", StringComparison.Ordinal))
            {
                var entity = variables.ValueKind == JsonValueKind.Object && variables.TryGetProperty("entity", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : EntityLiteral(query) ?? SharedEntity;
                var edges = new JsonArray();
                foreach (var name in Projects.GetValueOrDefault(entity, []))
                {
                    edges.Add(new JsonObject { ["node"] = new JsonObject { ["id"] = "UHJvamVjdDo" + name, ["name"] = name, ["entityName"] = entity } });
                }

                data["models"] = new JsonObject { ["edges"] = edges };
            }

            return new JsonObject { ["data"] = data }.ToJsonString();
        }
    }

    private int _created;

    /// <summary>How many objects the creates made (their ids: base64 of "Type:n").</summary>
    public int Created => _created;

    private string NewId(string type) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{type}:{Interlocked.Increment(ref _created)}"));

    private static string? Str(JsonElement variables, string name)
        => variables.ValueKind == JsonValueKind.Object && variables.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? EntityLiteral(string query)
    {
        var at = query.IndexOf("entityName: \"", StringComparison.Ordinal);
        return at < 0 ? null : query[(at + 13)..query.IndexOf('"', at + 13)];
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
