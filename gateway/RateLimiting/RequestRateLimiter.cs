using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Gateway.Configuration;
using Gateway.Policy.Model;

namespace Gateway.RateLimiting;

/// <summary>Which bucket refused a request, its size and rate, and when a retry can succeed.</summary>
internal readonly record struct RateRefusal(string Scope, RateClass Class, double PermitsPerSecond, int Burst, TimeSpan RetryAfter)
{
    public bool Refused => Scope is not null;
}

/// <summary>
/// Token buckets per key, per principal and per team, for each route class: the framework's
/// <see cref="TokenBucketRateLimiter"/>, one per partition, refilled by one timer every 100 ms, dropped
/// when idle and full. A principal's own limits (<see cref="PrincipalLimits"/>) replace the configured
/// key and principal buckets. Per replica: N replicas let N times the rate through (quotas, not
/// buckets, are what is counted across replicas). On the request path: three lookups of a struct key,
/// no allocation when allowed.
/// </summary>
internal sealed class RequestRateLimiter : IDisposable
{
    private readonly BucketOptions?[] _key = new BucketOptions?[RateClasses.Names.Length];
    private readonly BucketOptions?[] _principal = new BucketOptions?[RateClasses.Names.Length];
    private readonly BucketOptions?[] _team = new BucketOptions?[RateClasses.Names.Length];
    private readonly bool _configured;

    // The framework's token buckets, one per partition, in a dictionary of our own rather than
    // PartitionedRateLimiter, whose lookup allocates on every call (a closure over the partition: 50
    // bytes for a key's and a principal's bucket, measured). One timer refills them all and drops
    // those idle and full.
    private readonly ConcurrentDictionary<Partition, TokenBucketRateLimiter> _buckets = new();
    private readonly ITimer _refill;

    /// <summary>How long a full bucket is kept unused before it is dropped (a new one starts full, so dropping it changes nothing).</summary>
    private static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(10);

    public RequestRateLimiter(RateLimitOptions options)
    {
        _refill = TimeProvider.System.CreateTimer(static state => ((RequestRateLimiter)state!).Refill(), this, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
        foreach (var (name, limits) in options.Classes)
        {
            if (RateClasses.TryParse(name, out var rateClass))
            {
                _key[(int)rateClass] = limits.Key;
                _principal[(int)rateClass] = limits.Principal;
                _team[(int)rateClass] = limits.Team;
                _configured |= limits.Key is not null || limits.Principal is not null || limits.Team is not null;
                HasTeamBuckets |= limits.Team is not null;
            }
        }
    }

    /// <summary>True when some class has a team bucket (the team is looked up only then).</summary>
    public bool HasTeamBuckets { get; }

    /// <summary>The bucket of one key, principal or team on one class, with its size and rate (a changed limit is another bucket).</summary>
    internal readonly record struct Partition(byte Scope, RateClass Class, string Id, double PermitsPerSecond, int Burst);

    private const byte KeyScope = 0;
    private const byte PrincipalScope = 1;
    private const byte TeamScope = 2;

    /// <summary>
    /// Takes one permit from each bucket the request counts against, in order key, principal, team; the
    /// first that has none refuses (permits already taken from earlier buckets are not returned: a
    /// refused request still costs the gateway work).
    /// </summary>
    public RateRefusal TryAcquire(RateClass rateClass, string? keyId, Principal principal, string? team)
    {
        var own = principal.Limits;
        if (!_configured && own is null)
        {
            return default;
        }

        var index = (int)rateClass;
        var ownBucket = OwnBucket(principal);
        if (keyId is not null && (ownBucket ?? _key[index]) is { } key
            && Take(new Partition(KeyScope, rateClass, keyId, key.PermitsPerSecond, key.Burst)) is { } keyWait)
        {
            return new RateRefusal("key", rateClass, key.PermitsPerSecond, key.Burst, keyWait);
        }

        if ((ownBucket ?? _principal[index]) is { } mine
            && Take(new Partition(PrincipalScope, rateClass, principal.Id, mine.PermitsPerSecond, mine.Burst)) is { } principalWait)
        {
            return new RateRefusal("principal", rateClass, mine.PermitsPerSecond, mine.Burst, principalWait);
        }

        if (team is not null && _team[index] is { } shared
            && Take(new Partition(TeamScope, rateClass, team, shared.PermitsPerSecond, shared.Burst)) is { } teamWait)
        {
            return new RateRefusal("team", rateClass, shared.PermitsPerSecond, shared.Burst, teamWait);
        }

        return default;
    }

    private static readonly ConditionalWeakTable<PrincipalLimits, BucketOptions> OwnBuckets = new();

    // A principal's own bucket, made once per limits record (the directory snapshot's), not per request.
    private static BucketOptions? OwnBucket(Principal principal)
        => principal.Limits is { PermitsPerSecond: not null, Burst: not null } limits
            ? OwnBuckets.GetValue(limits, static l => new BucketOptions { PermitsPerSecond = l.PermitsPerSecond!.Value, Burst = l.Burst!.Value })
            : null;

    /// <summary>For explain: the buckets this request would count against and their permits now, without taking one.</summary>
    public string Describe(RateClass rateClass, string? keyId, Principal principal, string? team)
    {
        var index = (int)rateClass;
        var ownBucket = OwnBucket(principal);
        var parts = new List<string>();
        void Add(string name, byte scope, string? id, BucketOptions? bucket)
        {
            if (id is not null && bucket is not null)
            {
                var available = _buckets.TryGetValue(new Partition(scope, rateClass, id, bucket.PermitsPerSecond, bucket.Burst), out var found)
                    ? found.GetStatistics()?.CurrentAvailablePermits
                    : bucket.Burst;
                parts.Add($"{name} bucket {bucket.PermitsPerSecond}/s, {bucket.Burst} at once, {available?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} left"
                    + (ownBucket is not null && scope != TeamScope ? " (the principal's own limits)" : ""));
            }
        }

        Add("key", KeyScope, keyId, ownBucket ?? _key[index]);
        Add("principal", PrincipalScope, principal.Id, ownBucket ?? _principal[index]);
        Add("team", TeamScope, team, _team[index]);
        return parts.Count == 0
            ? $"No rate limit applies on {RateClasses.Name(rateClass)} routes."
            : $"On {RateClasses.Name(rateClass)} routes: " + string.Join("; ", parts) + ".";
    }

    private void Refill()
    {
        foreach (var (partition, bucket) in _buckets)
        {
            if (bucket.IdleDuration is { } idle && idle > IdleLimit)
            {
                // Not disposed: a request may hold it this instant; without a timer of its own it holds nothing to release.
                _buckets.TryRemove(new KeyValuePair<Partition, TokenBucketRateLimiter>(partition, bucket));
                continue;
            }

            bucket.TryReplenish();
        }
    }

    // Null when a permit was taken; otherwise how long until one can be.
    private TimeSpan? Take(Partition partition)
    {
        using var lease = _buckets.GetOrAdd(partition, static p => new TokenBucketRateLimiter(Options(p))).AttemptAcquire();
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : TimeSpan.FromSeconds(1 / partition.PermitsPerSecond);
    }

    // A whole number of tokens per period, the period chosen so that the rate is exact (15/s: 1 token
    // every 66.7 ms; 25/s: 2 every 80 ms; 0.5/s: 1 every 2 s). The framework's bucket fills in proportion
    // to the time elapsed when its timer (every 100 ms) replenishes it, so short periods cost nothing.
    internal static TokenBucketRateLimiterOptions Options(Partition p)
    {
        var tokens = Math.Max(1, (int)Math.Floor(p.PermitsPerSecond / 10));
        var period = TimeSpan.FromTicks(Math.Max(1, (long)Math.Round(tokens / p.PermitsPerSecond * TimeSpan.TicksPerSecond)));
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = p.Burst, TokensPerPeriod = tokens, ReplenishmentPeriod = period, QueueLimit = 0, AutoReplenishment = false,
        };
    }

    public void Dispose() => _refill.Dispose();
}
