namespace Gateway.LoadTests;

/// <summary>One thing to load: a target URL, a data file, and which statuses count as correct.</summary>
internal sealed record Scenario(string Name, string Title, string Url, string Data, int InvalidEvery, int[] ExpectedStatuses)
{
    /// <summary>The plain-YARP scenario with the same requests, its ratio's denominator.</summary>
    public string Baseline { get; init; } = Scenarios.Yarp;
}

internal static class Scenarios
{
    public const string Direct = "direct";
    public const string Yarp = "yarp";
    public const string YarpGraphQl = "yarp-graphql";
    public const string ApiKey = "gateway-apikey";
    public const string GraphQl = "gateway-graphql";
    public const string Invalid = "gateway-10pct-invalid";
    public const string NginxPeer = "nginx-peer";
    public const string Anonymous = "gateway-anonymous";
    public const string AccessToken = "gateway-access-token";

    public static List<Scenario> Build(Servers servers, string dataDir, IReadOnlyList<LoadKey> keys, IReadOnlyList<LoadKey> tokens)
    {
        const string fileStream = """{"files":{"output.log":{"offset":0,"content":["epoch 3 step 1200 loss=0.4213"]}},"complete":false}""";
        // The same requests (Authorization included) go to every target, so only what handles them differs.
        var files = Wrk.WriteData(dataDir, "files.tsv", keys.Select(k => (k.Authorization, $"/files/{k.Entity}/{k.Project}/run-1/file_stream", fileStream)));
        var anonymous = Wrk.WriteData(dataDir, "anonymous.tsv", keys.Select(k => (k.Authorization, $"/anonymous/files/{k.Entity}/{k.Project}/run-1/file_stream", fileStream)));
        var bearer = Wrk.WriteData(dataDir, "tokens.tsv", tokens.Select(k => (k.Authorization, $"/files/{k.Entity}/{k.Project}/run-1/file_stream", fileStream)));
        var template = Gateway.Benchmarks.UpsertBody.Template;
        var graphql = Wrk.WriteData(dataDir, "graphql.tsv", keys.Select(k => (k.Authorization, "/graphql", template.Replace("ENTITY", k.Entity).Replace("PROJECT", k.Project))));
        return
        [
            new(Direct, "direct to the upstream (nginx)", $"http://127.0.0.1:{servers.UpstreamPort}", files, 0, [200]),
            new(Yarp, "plain YARP, no auth (baseline)", $"http://127.0.0.1:{servers.YarpPort}", files, 0, [200]),
            new(ApiKey, "gateway, API key via Basic", $"http://127.0.0.1:{servers.GatewayPort}", files, 0, [200]),
            new(AccessToken, "gateway, exchanged access token via Bearer", $"http://127.0.0.1:{servers.GatewayPort}", bearer, 0, [200]),
            new(YarpGraphQl, "plain YARP, GraphQL UpsertBucket (its baseline)", $"http://127.0.0.1:{servers.YarpPort}", graphql, 0, [200]),
            new(GraphQl, "gateway, GraphQL UpsertBucket body scope", $"http://127.0.0.1:{servers.GatewayPort}", graphql, 0, [200]) { Baseline = YarpGraphQl },
            new(Invalid, "gateway, 10 % invalid keys", $"http://127.0.0.1:{servers.GatewayPort}", files, 10, [200, 401]),
            new(NginxPeer, "nginx peer proxy, static key map", $"http://127.0.0.1:{servers.NginxPeerPort}", files, 0, [200]),
            // Diagnostic: the gateway's host, routing and header transforms without any credential work.
            new(Anonymous, "gateway, anonymous route (no auth: host + transforms only)", $"http://127.0.0.1:{servers.GatewayPort}", anonymous, 0, [200]),
        ];
    }
}
