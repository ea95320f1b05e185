using System.Collections.Immutable;
using Gateway.Configuration;
using Gateway.Policy.Model;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Federation;

/// <summary>What a key lookup found.</summary>
internal enum KeyLookupStatus
{
    Found,
    /// <summary>The keys are current and none has the token's <c>kid</c>: the token is invalid.</summary>
    UnknownKey,
    /// <summary>No usable key and the issuer cannot be asked now: 503, never 401.</summary>
    Unavailable,
}

/// <summary>
/// One issuer's verification keys: its own configuration manager, never shared with another issuer.
/// Keys are refreshed in the background before they go stale; an unknown <c>kid</c> triggers one
/// fetch, shared by every request waiting for it and at most one per refetch interval, so the first
/// token signed with a freshly rotated key succeeds and a flood of random <c>kid</c>s costs the issuer
/// one request. While the issuer is unreachable the last good keys keep working up to the staleness
/// limit.
/// </summary>
internal sealed partial class IssuerKeys(TrustedIssuer issuer, IssuerDocumentClient client, FederationOptions options, TimeProvider time, ILogger logger, Metrics.GatewayMetrics? metrics = null)
{
    private readonly object _gate = new();
    private volatile KeySet? _keys;
    private Task? _inflight;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;
    private volatile bool _lastAttemptFailed;

    public TrustedIssuer Issuer { get; } = issuer;

    public DateTimeOffset? KeysFetchedAt => _keys?.FetchedAt;

    public int KeyCount => _keys?.Keys.Length ?? 0;

    public bool LastAttemptFailed => _lastAttemptFailed;

    public async ValueTask<(KeyLookupStatus Status, ImmutableArray<SecurityKey> Keys)> FindAsync(string? kid, CancellationToken cancellationToken)
    {
        var set = _keys;
        if (set is not null && IsUsable(set) && set.TryFind(kid, out var found))
        {
            return (KeyLookupStatus.Found, found);
        }

        if (StartFetch() is { } fetch)
        {
            await fetch.WaitAsync(cancellationToken);
        }

        set = _keys;
        if (set is not null && IsUsable(set))
        {
            if (set.TryFind(kid, out found))
            {
                return (KeyLookupStatus.Found, found);
            }

            // The issuer could not be asked about this kid: it may be a rotation we cannot see yet.
            return (_lastAttemptFailed ? KeyLookupStatus.Unavailable : KeyLookupStatus.UnknownKey, []);
        }

        return (KeyLookupStatus.Unavailable, []);
    }

    /// <summary>Fetches when the keys are due for their scheduled refresh (or missing).</summary>
    public Task RefreshIfDueAsync()
    {
        var set = _keys;
        var due = set is null || time.GetUtcNow() - set.FetchedAt >= options.KeyRefreshInterval;
        return due ? StartFetch() ?? Task.CompletedTask : Task.CompletedTask;
    }

    private bool IsUsable(KeySet set) => time.GetUtcNow() - set.FetchedAt <= options.MaxKeyStaleness;

    // One fetch at a time, and at most one started per refetch interval; callers share it.
    private Task? StartFetch()
    {
        lock (_gate)
        {
            if (_inflight is { IsCompleted: false } running)
            {
                return running;
            }

            var now = time.GetUtcNow();
            if (now - _lastAttempt < options.KeyRefetchInterval)
            {
                return null;
            }

            _lastAttempt = now;
            _inflight = Task.Run(FetchAsync);
            return _inflight;
        }
    }

    private async Task FetchAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(options.FetchTimeout * 2);
            var jwksUri = Issuer.JwksUri ?? await client.DiscoverJwksUriAsync(Issuer.Url, timeout.Token);
            var bytes = await client.GetJwksAsync(jwksUri, timeout.Token);
            var keys = JwksParser.Parse(bytes, Issuer.Algorithms, options);
            _keys = new KeySet(keys, time.GetUtcNow());
            metrics?.JwksSuccess.Inc();
            if (_lastAttemptFailed)
            {
                Log.KeysRecovered(logger, Issuer.Url, keys.Length);
            }
            else
            {
                Log.KeysFetched(logger, Issuer.Url, keys.Length);
            }

            _lastAttemptFailed = false;
        }
        catch (Exception ex)
        {
            // Anything that goes wrong leaves the last good keys as they are and counts as a failed attempt.
            HandleFailure(ex);
        }
    }

    private void HandleFailure(Exception ex)
    {
        metrics?.JwksFailure.Inc();
        // Logged once per outage, not once per attempt.
        if (!_lastAttemptFailed)
        {
            Log.FetchFailed(logger, Issuer.Url, ex is IssuerFetchException ? ex.Message : ex.GetType().Name, _keys?.FetchedAt);
        }

        _lastAttemptFailed = true;
    }

    private sealed record KeySet(ImmutableArray<SecurityKey> Keys, DateTimeOffset FetchedAt)
    {
        // A token without kid may be verified with any of this issuer's keys (never another issuer's).
        public bool TryFind(string? kid, out ImmutableArray<SecurityKey> found)
        {
            if (kid is null)
            {
                found = Keys;
                return true;
            }

            found = Keys.Where(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal)).ToImmutableArray();
            return !found.IsEmpty;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = Diagnostics.EventIds.IssuerKeysFetched, EventName = "IssuerKeysFetched", Level = LogLevel.Information,
            Message = "Fetched {Count} signing keys of issuer {Issuer}.")]
        public static partial void KeysFetched(ILogger logger, string issuer, int count);

        [LoggerMessage(EventId = Diagnostics.EventIds.IssuerKeysRecovered, EventName = "IssuerKeysRecovered", Level = LogLevel.Warning,
            Message = "Issuer {Issuer} is reachable again: {Count} signing keys.")]
        public static partial void KeysRecovered(ILogger logger, string issuer, int count);

        [LoggerMessage(EventId = Diagnostics.EventIds.IssuerKeysFetchFailed, EventName = "IssuerKeysFetchFailed", Level = LogLevel.Warning,
            Message = "Could not refresh the keys of issuer {Issuer}: {Reason}. Last good keys from {FetchedAt} stay in use until they are too stale.")]
        public static partial void FetchFailed(ILogger logger, string issuer, string reason, DateTimeOffset? fetchedAt);
    }
}
