using System.Net;
using Gateway.Abuse;
using Gateway.Directory;
using Gateway.Federation;
using Gateway.Policy.Model;
using Gateway.Keys;
using Gateway.Store;
using Microsoft.Extensions.Logging;

namespace Gateway.Authentication;

/// <summary>
/// Key (or exchanged access token) to principal: shape and checksum first (no lookup for a guess),
/// then SHA-256 of the whole key, then the cache or the store, then the owner from the current
/// directory snapshot — so a deleted key or a deactivated owner fails on the very next request. An
/// unknown key id and a known id with a wrong secret do the same work: the lookup is by the hash of
/// the whole key, never by id. An access token also needs its (issuer, subject) to still map to its
/// owner, so removing the issuer or the mapping ends it too.
/// </summary>
internal sealed partial class ApiKeyAuthenticator(
    DirectoryService directory,
    ApiKeyCache cache,
    ApiKeyFormat format,
    AccessTokenFormat tokenFormat,
    FailedAuthenticationLimiter limiter,
    LastUsedTracker lastUsed,
    Metrics.GatewayMetrics metrics,
    TimeProvider time,
    ILogger<ApiKeyAuthenticator> logger)
{
    /// <summary>
    /// Authenticates a key or access token from <paramref name="client"/>. Every failure counts
    /// against the client's address and the presented key id; over either limit the answer comes
    /// from the caches only (a cached valid key still works) and any failure is
    /// <see cref="AuthenticationOutcome.Throttled"/>.
    /// </summary>
    public AuthenticationResult Authenticate(ReadOnlySpan<char> credential, IPAddress? client) => Authenticate(Examine(credential), client);

    /// <summary>
    /// Everything that follows from the credential's text alone (shape, checksum, key id, hash): a pure
    /// function of it, so the same text may reuse it (<see cref="ConnectionCredentialMemo"/>). Nothing
    /// here depends on the store, the time or the caller.
    /// </summary>
    public KeyFacts Examine(ReadOnlySpan<char> credential)
    {
        var shape = format.Classify(credential, out var keyId);
        var isToken = shape == KeyShape.Malformed && tokenFormat.IsAccessToken(credential, out keyId);
        // A malformed credential is refused before any hashing.
        return new KeyFacts(shape, isToken, keyId, shape != KeyShape.Malformed || isToken ? KeyHash.Of(credential) : default);
    }

    /// <summary>Authenticates a credential from its <see cref="KeyFacts"/>: every check that depends on the store, the time or the caller.</summary>
    public AuthenticationResult Authenticate(in KeyFacts facts, IPAddress? client)
    {
        var limited = limiter.IsLimited(client, facts.KeyId);
        var result = Authenticate(facts, cacheOnly: limited);
        if (result.Outcome == AuthenticationOutcome.Failed)
        {
            limiter.RecordFailure(client, facts.KeyId);
            return limited ? AuthenticationResult.Throttled(result) : result;
        }

        return result;
    }

    private AuthenticationResult Authenticate(in KeyFacts facts, bool cacheOnly)
    {
        var shape = facts.Shape;
        var isToken = facts.IsToken;
        var keyIdSpan = facts.KeyId;
        var hash = facts.Hash;
        var snapshot = directory.Current;
        if ((shape == KeyShape.Malformed && !isToken) || (shape == KeyShape.UncheckedLegacy && !snapshot.HasImportedKeys))
        {
            return AuthenticationResult.Fail(AuthenticationReasons.KeyMalformed);
        }

        if (cache.IsKnownMissing(hash))
        {
            metrics.KeyCacheNegativeHit.Inc();
            return AuthenticationResult.Fail(AuthenticationReasons.KeyUnknown, KeyIdForLog(keyIdSpan));
        }

        var epoch = cache.Epoch;
        if (cache.TryGet(hash, epoch, out var key))
        {
            metrics.KeyCacheHit.Inc();
        }
        else
        {
            metrics.KeyCacheMiss.Inc();
            if (cacheOnly)
            {
                // Over the failure limit: no store lookup for what the caches do not know.
                return AuthenticationResult.Fail(AuthenticationReasons.Throttled, KeyIdForLog(keyIdSpan));
            }

            try
            {
                key = isToken ? directory.Store.FindAccessTokenByHash(hash) : directory.Store.FindKeyByHash(hash);
            }
            catch (StoreUnavailableException ex)
            {
                Log.StoreUnavailable(logger, ex);
                return AuthenticationResult.StoreUnavailable(KeyIdForLog(keyIdSpan));
            }

            if (key is null)
            {
                cache.AddMissing(hash, epoch);
                return AuthenticationResult.Fail(AuthenticationReasons.KeyUnknown, KeyIdForLog(keyIdSpan));
            }

            cache.Add(hash, key, epoch);
        }

        if (key is null || !hash.FixedTimeEquals(key.Hash) || (key.Format == ApiKeyFormatKind.AccessToken) != isToken)
        {
            return AuthenticationResult.Fail(AuthenticationReasons.KeyUnknown, KeyIdForLog(keyIdSpan));
        }

        if (key.RevokedAt is not null)
        {
            return AuthenticationResult.Fail(AuthenticationReasons.KeyRevoked, key.KeyId);
        }

        var now = time.GetUtcNow();
        if (key.ExpiresAt is { } expires && expires <= now)
        {
            return AuthenticationResult.Fail(AuthenticationReasons.KeyExpired, key.KeyId);
        }

        if ((!snapshot.TryGetPrincipal(key.OwnerId, out var principal) || !principal.Active) && !cacheOnly)
        {
            // A live key whose owner this replica does not know (or knows as inactive) may be newer
            // than its snapshot: made on another replica a moment ago, before the change reached this
            // one. Decide on the store's version, never on a lagging snapshot: a valid key is not a 401.
            // The snapshot read above may itself be older than the current one (it was taken before the
            // store lookup, during which the notification may have landed): decide on the newest.
            try
            {
                directory.CatchUp();
                snapshot = directory.Current;
                snapshot.TryGetPrincipal(key.OwnerId, out principal);
            }
            catch (StoreUnavailableException ex)
            {
                Log.StoreUnavailable(logger, ex);
                return AuthenticationResult.StoreUnavailable(key.KeyId);
            }
        }

        if (principal is null)
        {
            return AuthenticationResult.Fail(AuthenticationReasons.OwnerDeleted, key.KeyId);
        }

        if (!principal.Active)
        {
            return AuthenticationResult.Fail(AuthenticationReasons.PrincipalInactive, key.KeyId);
        }

        if (isToken)
        {
            // Short-lived and re-minted hourly: no last-used bookkeeping for access tokens.
            return FederatedMapping.StillMaps(snapshot, key.Issuer, key.Subject, key.Rule, principal.Id)
                ? AuthenticationResult.Success(principal, key) with { Snapshot = snapshot }
                : AuthenticationResult.Fail(AuthenticationReasons.AccessTokenUnmapped, key.KeyId);
        }

        lastUsed.Touch(hash, now);
        return AuthenticationResult.Success(principal, key) with { Snapshot = snapshot };
    }

    // Only failures log the presented key id; success reports the stored one.
    private static string? KeyIdForLog(ReadOnlySpan<char> keyId) => keyId.IsEmpty ? null : keyId.ToString();

    private static partial class Log
    {
        [LoggerMessage(EventId = Diagnostics.EventIds.StoreUnavailable, EventName = "StoreUnavailable", Level = LogLevel.Error,
            Message = "The store could not answer a key lookup; failing closed.")]
        public static partial void StoreUnavailable(ILogger logger, Exception exception);
    }
}

/// <summary>
/// What a presented key's text alone says: its shape, whether it is an access token, its public key id
/// (standard keys and tokens only) and its SHA-256 (default for a malformed one).
/// </summary>
internal readonly ref struct KeyFacts(KeyShape shape, bool isToken, ReadOnlySpan<char> keyId, KeyHash hash)
{
    public KeyShape Shape { get; } = shape;

    public bool IsToken { get; } = isToken;

    public ReadOnlySpan<char> KeyId { get; } = keyId;

    public KeyHash Hash { get; } = hash;
}
