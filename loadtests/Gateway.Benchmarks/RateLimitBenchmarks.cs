using BenchmarkDotNet.Attributes;
using Gateway.Configuration;
using Gateway.Policy.Model;
using Gateway.RateLimiting;
using Gateway.Store;
using Gateway.Usage;

namespace Gateway.Benchmarks;

/// <summary>
/// The bookkeeping an allowed request adds with <c>Gateway:RateLimits</c> configured, part by part: the
/// token buckets (a key's and its principal's), the daily quota's lookup, the usage counter. Buckets too
/// large to refuse: the allowed path is what is measured (a refused permit allocates its lease with
/// its retry time; a granted one does not).
/// </summary>
[MemoryDiagnoser]
public class RateLimitBenchmarks
{
    private RequestRateLimiter _limiter = null!;
    private DailyQuotas _quotas = null!;
    private UsageCounters _usage = null!;
    private LiteDbGatewayStore _store = null!;
    private string _directory = "";
    private readonly User _user = new() { Id = "u_0123456789abcdef", Username = "bob", Email = "bob@acme.example", Org = "acme" };
    private const string KeyId = "3kTz9QbLmV2x";

    [GlobalSetup]
    public void Setup()
    {
        var options = new RateLimitOptions
        {
            Classes = new Dictionary<string, RateClassOptions>
            {
                ["default"] = new()
                {
                    // Faster than any configuration may be (a loop takes tens of millions a second): never drained.
                    Key = new BucketOptions { PermitsPerSecond = 1e10, Burst = int.MaxValue },
                    Principal = new BucketOptions { PermitsPerSecond = 1e10, Burst = int.MaxValue },
                },
            },
            KeyRequestsPerDay = 1_000_000_000_000,
        };
        _directory = System.IO.Directory.CreateTempSubdirectory("gw-bench-rl").FullName;
        _store = new LiteDbGatewayStore(Path.Combine(_directory, "gateway.db"));
        _limiter = new RequestRateLimiter(options);
        _usage = new UsageCounters(_store, TimeProvider.System);
        _quotas = new DailyQuotas(options, _usage, TimeProvider.System);
        _quotas.Check(KeyId, _user, (1, 1)); // loads the day
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _limiter.Dispose();
        _store.Dispose();
        System.IO.Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public bool Buckets() => _limiter.TryAcquire(RateClass.Default, KeyId, _user, null).Refused;

    [Benchmark]
    public bool Quota() => _quotas.Check(KeyId, _user, (1, 1)).Refused;

    [Benchmark]
    public (long, long) Usage() => _usage.RecordAllowed(_user.Id, KeyId);

    [Benchmark]
    public bool All()
    {
        var refused = _limiter.TryAcquire(RateClass.Default, KeyId, _user, null).Refused;
        var place = _usage.RecordAllowed(_user.Id, KeyId);
        return refused || (_quotas.Applies(KeyId, _user) && _quotas.Check(KeyId, _user, place).Refused);
    }
}
