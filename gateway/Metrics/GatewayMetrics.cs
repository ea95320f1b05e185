using System.Collections.Concurrent;
using Prometheus;

namespace Gateway.Metrics;

/// <summary>
/// The gateway's Prometheus metrics, in a registry of its own (one per gateway instance), served on
/// the admin listener at <c>/metrics</c>. Labelled children are cached by their label values, so
/// counting a request is a dictionary lookup and an interlocked add, with no allocation.
/// </summary>
internal sealed class GatewayMetrics
{
    private static readonly double[] LatencyBuckets = [0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05, 0.25, 1];

    private readonly Counter _requests;
    private readonly Counter _denials;
    private readonly Counter _wouldDeny;
    private readonly Histogram _authentication;
    private readonly Counter _keyCache;
    private readonly Counter _jwtCache;
    private readonly Counter _jwksFetches;
    private readonly Counter _exchanges;
    private readonly Gauge _lastUsedFlushLag;
    private readonly Gauge _lastUsedPending;
    private readonly Gauge _directoryVersion;
    private readonly Gauge _storeUnconfirmed;
    private readonly Counter _directoryReloads;
    private readonly Gauge _configReloadRefused;
    private readonly Histogram _propagation;
    // By route, then by outcome index: one string lookup per request instead of hashing a (route, outcome) pair.
    private readonly ConcurrentDictionary<string, Counter.Child?[]> _requestChildren = new();
    private readonly ConcurrentDictionary<string, Counter.Child> _denialChildren = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, string), Counter.Child> _wouldDenyChildren = new();
    private readonly ConcurrentDictionary<string, Histogram.Child> _authChildren = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Counter.Child> _exchangeChildren = new(StringComparer.Ordinal);
    private DateTimeOffset _lastFlush = DateTimeOffset.UtcNow;

    public GatewayMetrics()
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("gateway_requests_total", "Proxied requests by route and outcome.", "route", "outcome");
        _denials = factory.CreateCounter("gateway_denials_total", "Requests refused, by stable reason code.", "reason");
        _wouldDeny = factory.CreateCounter("gateway_shadow_would_deny_total", "Requests a shadow-mode route forwarded although it would have refused them, by route and reason.", "route", "reason");
        _authentication = factory.CreateHistogram("gateway_authentication_duration_seconds", "Time to authenticate a credential, by method.",
            new HistogramConfiguration { LabelNames = ["method"], Buckets = LatencyBuckets });
        _keyCache = factory.CreateCounter("gateway_key_cache_lookups_total", "Key and access-token cache lookups.", "result");
        _jwtCache = factory.CreateCounter("gateway_jwt_validation_cache_lookups_total", "JWT validation cache lookups.", "result");
        _jwksFetches = factory.CreateCounter("gateway_jwks_fetches_total", "Issuer key fetches, by outcome.", "outcome");
        _exchanges = factory.CreateCounter("gateway_token_exchanges_total", "POST /oidc/token, by outcome.", "outcome");
        _lastUsedFlushLag = factory.CreateGauge("gateway_last_used_flush_lag_seconds", "Seconds since last-used times were last written.");
        _lastUsedPending = factory.CreateGauge("gateway_last_used_pending", "Last-used times waiting for the next flush.");
        _directoryVersion = factory.CreateGauge("gateway_directory_version", "The directory version this replica's snapshot reflects.");
        _storeUnconfirmed = factory.CreateGauge("gateway_store_unconfirmed_seconds", "Seconds since this replica last proved its snapshot current against the shared store.");
        _configReloadRefused = factory.CreateGauge("gateway_config_reload_refused", "1 while the last change to the configuration file was refused (the previous configuration keeps serving), else 0.");
        _directoryReloads = factory.CreateCounter("gateway_directory_reloads_total", "Snapshots reloaded from the shared store, by cause.", "cause");
        _propagation = factory.CreateHistogram("gateway_directory_propagation_seconds",
            "From another replica's commit to this replica serving it (clocks of both replicas involved).",
            new HistogramConfiguration { Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        KeyCacheHit = _keyCache.WithLabels("hit");
        KeyCacheMiss = _keyCache.WithLabels("miss");
        KeyCacheNegativeHit = _keyCache.WithLabels("negative_hit");
        JwtCacheHit = _jwtCache.WithLabels("hit");
        JwtCacheMiss = _jwtCache.WithLabels("miss");
        JwksSuccess = _jwksFetches.WithLabels("success");
        JwksFailure = _jwksFetches.WithLabels("failure");
    }

    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    public Counter.Child KeyCacheHit { get; }

    public Counter.Child KeyCacheMiss { get; }

    public Counter.Child KeyCacheNegativeHit { get; }

    public Counter.Child JwtCacheHit { get; }

    public Counter.Child JwtCacheMiss { get; }

    public Counter.Child JwksSuccess { get; }

    public Counter.Child JwksFailure { get; }

    /// <summary>Counts a proxied request by route and the outcome its answer shows.</summary>
    public void Request(string route, int status, bool authorized)
    {
        var outcome = (int)OutcomeOf(status, authorized);
        var children = _requestChildren.GetOrAdd(route, static _ => new Counter.Child?[OutcomeLabels.Length]);
        // Two threads may both fill a slot: the registry hands both the same child for the same labels.
        (children[outcome] ??= _requests.WithLabels(route, OutcomeLabels[outcome])).Inc();
    }

    public void Denied(string reason)
        => _denialChildren.GetOrAdd(reason, static (key, counter) => counter.WithLabels(key), _denials).Inc();

    public void WouldDeny(string route, string reason)
        => _wouldDenyChildren.GetOrAdd((route, reason), static (key, counter) => counter.WithLabels(key.Item1, key.Item2), _wouldDeny).Inc();

    public void Authenticated(string method, long startTimestamp)
        => _authChildren.GetOrAdd(method.Length == 0 ? "failed" : method, static (key, histogram) => histogram.WithLabels(key), _authentication)
            .Observe(System.Diagnostics.Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);

    public void Exchange(string outcome) => _exchangeChildren.GetOrAdd(outcome, static (key, counter) => counter.WithLabels(key), _exchanges).Inc();

    /// <summary>After each flush attempt: a successful one resets the lag; a failing store lets it grow.</summary>
    public void LastUsedFlush(bool succeeded, int pending, DateTimeOffset now)
    {
        if (succeeded)
        {
            _lastFlush = now;
        }

        _lastUsedFlushLag.Set((now - _lastFlush).TotalSeconds);
        _lastUsedPending.Set(pending);
    }

    public void DirectoryVersion(long version) => _directoryVersion.Set(version);

    public void StoreUnconfirmed(TimeSpan since) => _storeUnconfirmed.Set(since.TotalSeconds);

    public void DirectoryReloaded(string cause) => _directoryReloads.WithLabels(cause).Inc();

    public void ConfigReload(bool refused) => _configReloadRefused.Set(refused ? 1 : 0);

    public void DirectoryPropagated(TimeSpan lag) => _propagation.Observe(Math.Max(0, lag.TotalSeconds));

    // The metric's label for each Outcome, in the enum's order.
    private static readonly string[] OutcomeLabels = ["upstream_error", "unavailable", "forwarded", "unauthenticated", "denied", "throttled", "refused"];

    /// <summary>Where a proxied request ended, from its answer: one place instead of one call per exit.</summary>
    private static Outcome OutcomeOf(int status, bool authorized) => (status, authorized) switch
    {
        (502 or 504, true) => Outcome.UpstreamError,
        (503, _) => Outcome.Unavailable,
        (_, true) => Outcome.Forwarded,
        (401, false) => Outcome.Unauthenticated,
        (403 or 404, false) => Outcome.Denied,
        (429, false) => Outcome.Throttled,
        _ => Outcome.Refused,
    };

    private enum Outcome
    {
        UpstreamError,
        Unavailable,
        Forwarded,
        Unauthenticated,
        Denied,
        Throttled,
        Refused,
    }
}
