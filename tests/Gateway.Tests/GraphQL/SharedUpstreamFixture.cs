using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// The gateway with the shipped W&amp;B rule table in front of <see cref="SharedUserUpstream"/> (one shared
/// upstream key), the org of <see cref="OrgFixture"/>, and the ids the upstream knows.
/// </summary>
public sealed class SharedUpstreamFixture : IAsyncLifetime
{
    public const string UpstreamSecret = "shared-upstream-key-7781";

    public SharedUserUpstream Upstream { get; private set; } = null!;

    public TestGateway Gw { get; private set; } = null!;

    public Dictionary<string, string> Keys { get; } = new();

    public async Task InitializeAsync()
    {
        Upstream = await SharedUserUpstream.StartAsync();
        foreach (var (id, entity, project) in new[]
                 {
                     ("UnVuOjE=", "ml", "team-p"), ("UnVuOjI=", "ml", "secret"), ("UnVuOjM=", "cv", "cv-p"),
                     ("QXJ0aWZhY3Q6MQ==", "ml", "team-p"), ("QXJ0aWZhY3Q6Mg==", "cv", "cv-p"),
                 })
        {
            Upstream.Ids[id] = (entity, project);
        }

        Upstream.Projects["ml"] = ["team-p", "secret", "open-p", "pub-p", "late-p", "not-in-directory"];
        Upstream.Projects["cv"] = ["cv-p"];
        Gw = await TestGateway.StartAsync(dir =>
        {
            File.WriteAllText(dir.File("upstream.secret"), UpstreamSecret + "\n");
            return Config(Upstream.Url, dir.File("upstream.secret"));
        });
        await OrgFixture.BuildAsync(Gw, Keys);
    }

    public async Task DisposeAsync()
    {
        await Gw.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    public static string Config(Uri upstream, string secretFile) => $$"""
    {
      "ReverseProxy": {
        "Routes": {
          "graphql": { "ClusterId": "wandb", "Match": { "Path": "/graphql" }, "Metadata": { "Gateway.Scope": "graphql" } },
          "files": { "ClusterId": "wandb", "Match": { "Path": "/files/{entity}/{project}/{run}/file_stream" },
                     "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project", "Gateway.Action": "write" } },
          "graphql-strip": { "ClusterId": "wandb-strip", "Match": { "Path": "/strip/graphql" }, "Metadata": { "Gateway.Scope": "graphql" },
                             "Transforms": [ { "PathRemovePrefix": "/strip" } ] },
          "refs": { "ClusterId": "wandb", "Match": { "Path": "/traces/refs/read_batch", "Methods": [ "POST" ] }, "Metadata": { "Gateway.Scope": "weave-refs" },
                    "Transforms": [ { "PathRemovePrefix": "/traces" } ] },
          "weave-call": { "ClusterId": "wandb", "Match": { "Path": "/traces/call/start", "Methods": [ "POST" ] }, "Metadata": { "Gateway.Scope": "json", "Gateway.Action": "write" },
                          "Transforms": [ { "PathRemovePrefix": "/traces" } ] },
          "otel": { "ClusterId": "wandb", "Match": { "Path": "/traces/otel/v1/traces", "Methods": [ "POST" ] }, "Metadata": { "Gateway.Scope": "otlp" },
                    "Transforms": [ { "PathRemovePrefix": "/traces" } ] }
        },
        "Clusters": {
          "wandb": { "Destinations": { "d1": { "Address": "{{upstream}}" } },
                     "Metadata": { "Gateway.UpstreamAuth": "basic", "Gateway.UpstreamSecretFile": "{{secretFile}}" } },
          "wandb-strip": { "Destinations": { "d1": { "Address": "{{upstream}}" } } }
        }
      }
    }
    """;
}
