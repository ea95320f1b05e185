using Gateway.Policy.Model;

namespace Gateway.Authentication;

/// <summary>The three outcomes of authentication, plus the gateway being unable to decide.</summary>
internal enum AuthenticationOutcome
{
    Failed,
    Succeeded,
    /// <summary>The store or an issuer's keys could not answer: fail closed with 503, never 401 and never allow.</summary>
    Unavailable,
    /// <summary>A failure from a client (or key id) over its failed-authentication limit: 429.</summary>
    Throttled,
}

/// <summary>
/// Who the caller is, or why not. <see cref="FailureReason"/> goes to the log and the audit only;
/// every failure looks the same from outside.
/// </summary>
internal readonly record struct AuthenticationResult(
    AuthenticationOutcome Outcome,
    Principal? Principal,
    string? KeyId,
    string Method,
    string FailureReason,
    string? KeyIdForLog)
{
    public bool Succeeded => Outcome == AuthenticationOutcome.Succeeded && Principal is not null;

    /// <summary>
    /// The directory snapshot the principal was found in: the decision reads the same one, so a
    /// request never mixes a principal of one snapshot with the grants of the next.
    /// </summary>
    public Directory.DirectorySnapshot? Snapshot { get; init; }

    /// <summary>The key's restrictions (null for none, for access tokens and for federated JWTs): the decision intersects them with the owner's rights.</summary>
    public KeyRestrictions? Restrictions { get; init; }

    public static AuthenticationResult Success(Principal principal, ApiKey key)
        => new(AuthenticationOutcome.Succeeded, principal, key.KeyId,
            key.Format == ApiKeyFormatKind.AccessToken ? AuthMethods.AccessToken : AuthMethods.ApiKey, "", key.KeyId)
        {
            Restrictions = key.Restrictions,
        };

    public static AuthenticationResult FederatedJwt(Principal principal)
        => new(AuthenticationOutcome.Succeeded, principal, null, AuthMethods.FederatedJwt, "", null);

    public static AuthenticationResult Fail(string reason, string? keyId = null)
        => new(AuthenticationOutcome.Failed, null, null, "", reason, keyId);

    public static AuthenticationResult StoreUnavailable(string? keyId)
        => new(AuthenticationOutcome.Unavailable, null, null, "", AuthenticationReasons.StoreUnavailable, keyId);

    /// <summary>The failure <paramref name="failure"/>, answered as 429 because its client is over the limit.</summary>
    public static AuthenticationResult Throttled(in AuthenticationResult failure)
        => failure with { Outcome = AuthenticationOutcome.Throttled };

    public static AuthenticationResult IssuerUnavailable()
        => new(AuthenticationOutcome.Unavailable, null, null, "", AuthenticationReasons.IssuerUnavailable, null);
}

/// <summary>The values of the <c>Auth-Method</c> identity header.</summary>
internal static class AuthMethods
{
    public const string ApiKey = "api_key";
    public const string AccessToken = "access_token";
    public const string FederatedJwt = "federated_jwt";
    public const string Anonymous = "anonymous";
    public const string Shadow = "shadow";
}

/// <summary>Why authentication failed (log and audit only).</summary>
internal static class AuthenticationReasons
{
    public const string KeyMalformed = "key_malformed";
    public const string KeyUnknown = "key_unknown";
    public const string KeyRevoked = "key_revoked";
    public const string KeyExpired = "key_expired";
    public const string OwnerDeleted = "key_owner_deleted";
    public const string PrincipalInactive = "principal_inactive";
    public const string JwtNotAccepted = "jwt_not_accepted";
    public const string AccessTokenUnmapped = "access_token_unmapped";
    public const string StoreUnavailable = "store_unavailable";
    public const string IssuerUnavailable = "issuer_keys_unavailable";
    public const string Throttled = "failed_authentication_limit";
}
