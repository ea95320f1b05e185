using Gateway.Policy.Model;

namespace Gateway.Authentication;

/// <summary>The three outcomes of authentication, plus the gateway being unable to decide.</summary>
internal enum AuthenticationOutcome
{
    Failed,
    Succeeded,
    /// <summary>The store could not answer: fail closed with 503, never 401 and never allow.</summary>
    Unavailable,
}

/// <summary>
/// Who the caller is, or why not. <see cref="FailureReason"/> goes to the log and the audit only;
/// every failure looks the same from outside.
/// </summary>
internal readonly record struct AuthenticationResult(
    AuthenticationOutcome Outcome,
    Principal? Principal,
    ApiKey? Key,
    string FailureReason,
    string? KeyIdForLog)
{
    public bool Succeeded => Outcome == AuthenticationOutcome.Succeeded && Principal is not null;

    public static AuthenticationResult Success(Principal principal, ApiKey key)
        => new(AuthenticationOutcome.Succeeded, principal, key, "", key.KeyId);

    public static AuthenticationResult Fail(string reason, string? keyId = null)
        => new(AuthenticationOutcome.Failed, null, null, reason, keyId);

    public static AuthenticationResult StoreUnavailable(string? keyId)
        => new(AuthenticationOutcome.Unavailable, null, null, AuthenticationReasons.StoreUnavailable, keyId);
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
    public const string StoreUnavailable = "store_unavailable";
}
