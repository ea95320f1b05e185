using BenchmarkDotNet.Attributes;
using Gateway.Configuration;
using Gateway.Directory;
using Gateway.Federation;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Benchmarks;

/// <summary>
/// What the validation cache saves: a federated JWT validated from scratch (pre-checks, RS256
/// signature, mapping) against one served from the cache (hash, lookup, mapping).
/// </summary>
[MemoryDiagnoser]
public class JwtValidationBenchmarks
{
    private const int Distinct = 256;
    private string _directory = "";
    private LiteDbGatewayStore _store = null!;
    private BenchIssuer _issuer = null!;
    private FederatedTokenValidator _cached = null!;
    private FederatedTokenValidator _uncached = null!;
    private string[] _tokens = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "gw-bench-jwt-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(_directory);
        _store = new LiteDbGatewayStore(Path.Combine(_directory, "gateway.db"));
        _issuer = BenchIssuer.Start();
        _store.Commit(new ChangeSet()
            .Put(new Organization { Name = "acme" }).Put(new Team { Name = "ml-team", Org = "acme" })
            .Put(new TrustedIssuer { Url = _issuer.Url, Org = "acme", Audiences = ["acme"], Algorithms = ["RS256"], AcceptRawJwt = true })
            .Put(new ServiceAccount
            {
                Id = "sa_1", Name = "ci", Org = "acme", Team = "ml-team", Scope = ServiceAccountScope.Team,
                Authentication = AuthenticationKind.Federated, Issuer = _issuer.Url, Subject = "repo:acme/train",
            }));
        var directory = new DirectoryService(_store, new ApiKeyCache(1000, 1000));
        _cached = Validator(directory, new FederationOptions { AllowPrivateIssuerAddresses = true }, new Metrics.GatewayMetrics());
        // Far fewer cache entries than distinct tokens: every validation misses.
        _uncached = Validator(directory, new FederationOptions { ValidationCacheSize = 16, AllowPrivateIssuerAddresses = true }, new Metrics.GatewayMetrics());
        _tokens = Enumerable.Range(0, Distinct).Select(_ => _issuer.Token("repo:acme/train", "acme", TimeSpan.FromMinutes(50))).ToArray();
        foreach (var token in _tokens)
        {
            if (_cached.ValidateAsync(token, asBearer: true, default).AsTask().GetAwaiter().GetResult().Outcome != FederationOutcome.Valid)
            {
                throw new InvalidOperationException("The benchmark token does not validate.");
            }
        }
    }

    internal static FederatedTokenValidator Validator(DirectoryService directory, FederationOptions options, Metrics.GatewayMetrics metrics)
        => new(directory, new IssuerKeyRegistry(new IssuerDocumentClient(options), options, TimeProvider.System, metrics, NullLoggerFactory.Instance),
            options, TimeProvider.System, metrics, NullLogger<FederatedTokenValidator>.Instance);

    [Benchmark(Baseline = true)]
    public async Task<int> Uncached()
        => (int)(await _uncached.ValidateAsync(_tokens[_next++ % Distinct], asBearer: true, default)).Outcome;

    [Benchmark]
    public async Task<int> Cached()
        => (int)(await _cached.ValidateAsync(_tokens[_next++ % Distinct], asBearer: true, default)).Outcome;

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        _issuer.Dispose();
        System.IO.Directory.Delete(_directory, recursive: true);
    }
}
