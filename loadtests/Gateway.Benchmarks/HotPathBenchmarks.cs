using System.Collections.Immutable;
using System.Text;
using BenchmarkDotNet.Attributes;
using Gateway.Authentication;
using Gateway.Authorization;
using Gateway.Configuration;
using Gateway.Directory;
using Gateway.Federation;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Routing;
using Gateway.Store;
using Gateway.Transforms;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging.Abstractions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Gateway.Benchmarks;

/// <summary>
/// The authorization hot path of one proxied request, with the credential already cached: the real
/// <see cref="GatewayAuthorizationMiddleware"/> (credential parse, checksum, SHA-256, cached lookup,
/// principal re-check, raw-path scope, policy decision) and the real identity transform (strip,
/// then set the identity headers on the outgoing request). YARP's own forwarding is not included.
/// <see cref="Credential"/>: an API key via Basic, an exchanged access token via Bearer, or a raw
/// federated JWT via Bearer (validated once, then from the validation cache).
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private BenchIssuer? _issuer;

    [Params("api_key", "access_token", "raw_jwt")]
    public string Credential { get; set; } = "api_key";

    /// <summary>
    /// True: later requests on one HTTP/1.1 keep-alive connection, whose Authorization header Kestrel
    /// hands back as the same string (what an SDK's session does). False: no connection to remember
    /// anything on (what a client gets that changes its key on every request).
    /// </summary>
    [Params(false, true)]
    public bool KeepAlive { get; set; }

    /// <summary>
    /// Not a BenchmarkDotNet parameter (the loop mode's): when above zero, that many keys of 1 000 users
    /// take turns, as the load harness's rotating keys do, so the caches and the directory are read
    /// the way they are under load instead of one entry staying in the CPU's cache.
    /// </summary>
    public int Rotating { get; set; }

    /// <summary>
    /// Rate limits configured on the route's class (a key and a principal bucket, too large to refuse
    /// anything): what the bookkeeping of <c>Gateway:RateLimits</c> costs each allowed request.
    /// </summary>
    [Params(false, true)]
    public bool RateLimited { get; set; }

    private static RateLimitOptions RateLimitsFor(bool limited) => !limited ? new RateLimitOptions() : new RateLimitOptions
    {
        Classes = new Dictionary<string, RateClassOptions>
        {
            ["default"] = new()
            {
                Key = new BucketOptions { PermitsPerSecond = 1_000_000, Burst = 10_000_000 },
                Principal = new BucketOptions { PermitsPerSecond = 1_000_000, Burst = 10_000_000 },
            },
        },
        // A quota too large to reach: the day's count is looked up on every request.
        KeyRequestsPerDay = 1_000_000_000_000,
    };

    private string[] _rotation = [];
    private int _turn;

    private string _directory = "";
    private LiteDbGatewayStore _store = null!;
    private GatewayAuthorizationMiddleware _middleware = null!;
    private RequestTransform _transform = null!;
    private DefaultHttpContext _context = null!;
    private Endpoint _endpoint = null!;
    private string _authorization = "";

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "gw-bench-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(_directory);
        _store = new LiteDbGatewayStore(Path.Combine(_directory, "gateway.db"));
        var format = new ApiKeyFormat("gw");
        var (keyId, key) = format.Mint(ApiKeyFormatKind.Standard);
        var user = new User
        {
            Id = "u_1", Username = "alice", Email = "alice@acme.example", Org = "acme",
            Teams = ImmutableDictionary<string, TeamRole>.Empty.Add("ml-team", TeamRole.Member),
        };
        _issuer = BenchIssuer.Start();
        var issuer = new TrustedIssuer { Url = _issuer.Url, Org = "acme", Audiences = ["acme"], Algorithms = ["RS256"], AcceptRawJwt = true };
        var (tokenId, accessToken) = new AccessTokenFormat("gw").Mint();
        _store.Commit(new ChangeSet()
            .Put(new Organization { Name = "acme" }).Put(new Team { Name = "ml-team", Org = "acme" }).Put(user)
            .Put(new Project { Entity = "ml-team", Name = "resnet", Visibility = Visibility.Team })
            .Put(new ApiKey { KeyId = keyId, Hash = KeyHash.Of(key).ToArray(), OwnerId = user.Id, Name = "bench", Format = ApiKeyFormatKind.Standard })
            .Put(issuer)
            .Put(new ApiKey
            {
                KeyId = tokenId, Hash = KeyHash.Of(accessToken).ToArray(), OwnerId = user.Id, Name = "token exchange", Format = ApiKeyFormatKind.AccessToken,
                ExpiresAt = DateTimeOffset.UtcNow.AddDays(1), Issuer = issuer.Url, Subject = user.Email,
            }));

        if (Rotating > 0)
        {
            var many = new ChangeSet();
            var rotation = new List<string>();
            for (var u = 0; u < 1000; u++)
            {
                var member = new User
                {
                    Id = $"u_r{u}", Username = $"user{u}", Email = $"user{u}@acme.example", Org = "acme",
                    Teams = ImmutableDictionary<string, TeamRole>.Empty.Add("ml-team", TeamRole.Member),
                };
                many.Put(member);
                for (var k = u; k < Rotating; k += 1000)
                {
                    var (id, secret) = format.Mint(ApiKeyFormatKind.Standard);
                    many.Put(new ApiKey { KeyId = id, Hash = KeyHash.Of(secret).ToArray(), OwnerId = member.Id, Name = "bench", Format = ApiKeyFormatKind.Standard });
                    rotation.Add("Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + secret)));
                }
            }

            _store.Commit(many);
            _rotation = [.. rotation];
        }

        var options = new GatewayOptions();
        var cache = new ApiKeyCache(options.Cache.Keys, options.Cache.NegativeKeys);
        var directory = new DirectoryService(_store, cache);
        var metrics = new Metrics.GatewayMetrics();
        var limiter = new Abuse.FailedAuthenticationLimiter(options.Limits, TimeProvider.System);
        var keys = new ApiKeyAuthenticator(directory, cache, format, new AccessTokenFormat("gw"), limiter, new LastUsedTracker(_store, options, TimeProvider.System),
            metrics, TimeProvider.System, NullLogger<ApiKeyAuthenticator>.Instance);
        var federated = JwtValidationBenchmarks.Validator(directory, options.Federation, metrics);
        var authenticator = new CredentialAuthenticator(keys, federated, limiter, new Store.StoreFreshness(TimeProvider.System));
        var names = new IdentityHeaderNames(options);
        var usage = new Usage.UsageCounters(_store, TimeProvider.System);
        _middleware = new GatewayAuthorizationMiddleware(_ => Task.CompletedTask, authenticator, directory, names, TimeProvider.System, metrics,
            new Abuse.AuthenticationFailureAudit(directory, TimeProvider.System, new Configuration.LimitsOptions()), new GraphQL.IdResolver(TimeProvider.System, NullLogger<GraphQL.IdResolver>.Instance, _store), _store,
            new Configuration.LimitsOptions(), new RateLimiting.RequestRateLimiter(RateLimitsFor(RateLimited)), new Explain.RefusalRing(),
            usage, new RateLimiting.DailyQuotas(RateLimitsFor(RateLimited), usage, TimeProvider.System), NullLogger<GatewayAuthorizationMiddleware>.Instance);

        var route = new RouteConfig
        {
            RouteId = "files", ClusterId = "tracking", Match = new RouteMatch { Path = "/files/{entity}/{project}/{run}/file_stream" },
            Metadata = new Dictionary<string, string> { ["Gateway.Scope"] = "path", ["Gateway.Entity"] = "entity", ["Gateway.Project"] = "project", ["Gateway.Action"] = "write" },
        };
        var scope = RouteScopeParser.Parse(route, []) ?? throw new InvalidOperationException("bad route");
        _endpoint = new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(scope, UpstreamCredential.Strip), "files");

        var builder = new TransformBuilderContext { Route = route, Cluster = new ClusterConfig { ClusterId = "tracking" } };
        new IdentityTransformProvider(names, NullLogger<IdentityTransformProvider>.Instance).Apply(builder);
        _transform = builder.RequestTransforms.Single();

        _authorization = Credential switch
        {
            "access_token" => "Bearer " + accessToken,
            "raw_jwt" => "Bearer " + _issuer.Token(user.Email, "acme", TimeSpan.FromHours(1)),
            _ => "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + key)),
        };
        _context = NewContext();
        foreach (var rotating in _rotation)
        {
            _context.Request.Headers.Authorization = rotating;
            Run().GetAwaiter().GetResult(); // every rotating key in the key cache
        }

        Run().GetAwaiter().GetResult(); // warm the key cache (and, with KeepAlive, the connection's memo: it remembers a header seen twice)
        Run().GetAwaiter().GetResult();
        if (_context.Response.StatusCode != 200 || _context.Features.Get<GatewayFeature>() is null)
        {
            throw new InvalidOperationException($"The hot path did not allow the request: {_context.Response.StatusCode}");
        }
    }

    private DefaultHttpContext NewContext()
    {
        var context = new DefaultHttpContext();
        var request = context.Features.Get<IHttpRequestFeature>()!;
        request.Method = "POST";
        request.Path = "/files/ml-team/resnet/run-1/file_stream";
        request.RawTarget = "/files/ml-team/resnet/run-1/file_stream";
        context.Request.Headers.Authorization = _authorization;
        context.Request.Headers.ContentType = "application/json";
        context.Request.Headers.UserAgent = "W&B Internal Client 0.22.3";
        context.Request.Headers.Accept = "*/*";
        context.Request.Headers.AcceptEncoding = "gzip, deflate";
        context.Request.Host = new HostString("gateway.example");
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Loopback;
        context.SetEndpoint(_endpoint);
        request.Protocol = "HTTP/1.1";
        if (KeepAlive)
        {
            context.Features.Set<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>(new ConnectionItems());
        }

        return context;
    }

    private sealed class ConnectionItems : Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature
    {
        public IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    }

    /// <summary>
    /// What plain YARP does for this request anyway, subtracted from the hot path: the outgoing
    /// message with the client's request headers copied (what the wandb SDK sends: User-Agent,
    /// Authorization, Accept, Accept-Encoding; Content-Type goes to the content), and its default
    /// transforms: a transform context and X-Forwarded-For, -Proto and -Host.
    /// </summary>
    [Benchmark(Baseline = true)]
    public int OutgoingMessageOnly()
    {
        using var outgoing = CopiedMessage();
        var transform = new RequestTransformContext { HttpContext = _context, ProxyRequest = outgoing, Path = _context.Request.Path, DestinationPrefix = "http://upstream/" };
        outgoing.Headers.TryAddWithoutValidation("X-Forwarded-For", "127.0.0.1");
        outgoing.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "http");
        outgoing.Headers.TryAddWithoutValidation("X-Forwarded-Host", "gateway.example");
        // YARP hands its context to the transforms: kept here too, or the JIT would put it on the stack.
        _yarpContext = transform;
        return outgoing.Headers.NonValidated.Count;
    }

    private RequestTransformContext? _yarpContext;

    private HttpRequestMessage CopiedMessage()
    {
        var outgoing = new HttpRequestMessage(HttpMethod.Post, "http://upstream/files/ml-team/resnet/run-1/file_stream");
        outgoing.Headers.TryAddWithoutValidation("User-Agent", "W&B Internal Client 0.22.3");
        outgoing.Headers.TryAddWithoutValidation("Authorization", _authorization);
        outgoing.Headers.TryAddWithoutValidation("Accept", "*/*");
        outgoing.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, deflate");
        return outgoing;
    }

    // A Task, not a Task<int>: a Task<int> of 200 is not cached and would add the benchmark's own 72 B.
    [Benchmark]
    public Task AuthorizeAndSetHeaders() => Run();

    private async Task Run()
    {
        if (_rotation.Length > 0)
        {
            _context.Request.Headers.Authorization = _rotation[_turn++ % _rotation.Length];
        }

        await MiddlewareAsync();
        await TransformAsync();
    }

    /// <summary>The authorization middleware alone (for the allocation breakdown).</summary>
    internal Task MiddlewareAsync() => _middleware.InvokeAsync(_context);

    /// <summary>The outgoing message plus the identity transform alone (for the allocation breakdown).</summary>
    internal async Task TransformAsync()
    {
        using var outgoing = CopiedMessage();
        await _transform.ApplyAsync(new RequestTransformContext { HttpContext = _context, ProxyRequest = outgoing, Path = _context.Request.Path, DestinationPrefix = "http://upstream/" });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        _issuer?.Dispose();
        System.IO.Directory.Delete(_directory, recursive: true);
    }
}
