using System.Net;
using Gateway.Abuse;
using Gateway.Federation;

namespace Gateway.Authentication;

/// <summary>
/// The one rule from an extracted credential to an <see cref="AuthenticationResult"/>, for the proxy
/// and the admin API alike: JWT-shaped credentials take the federation path (only where raw JWTs may
/// be used, and only for issuers that accept them), everything else is a key or an access token.
/// Keys stay synchronous: the common path completes without an allocation.
/// </summary>
internal sealed class CredentialAuthenticator(ApiKeyAuthenticator keys, FederatedTokenValidator federated, FailedAuthenticationLimiter limiter, Store.StoreFreshness freshness)
{
    public ValueTask<AuthenticationResult> AuthenticateAsync(in Credential credential, IPAddress? client, bool allowRawJwt, CancellationToken cancellationToken,
        ConnectionCredentialMemo? memo = null)
    {
        if (credential.Status != CredentialStatus.Present)
        {
            return ValueTask.FromResult(Failed(AuthenticationResult.Fail(AuthenticationReasons.KeyMalformed), client));
        }

        // Out of touch with the shared store for longer than allowed: a revocation may have been missed.
        if (freshness.IsStale)
        {
            return ValueTask.FromResult(AuthenticationResult.StoreUnavailable(null));
        }

        if (!credential.IsJwtShaped)
        {
            return ValueTask.FromResult(AuthenticateKey(credential, client, memo));
        }

        if (!allowRawJwt)
        {
            return ValueTask.FromResult(Failed(AuthenticationResult.Fail(AuthenticationReasons.JwtNotAccepted), client));
        }

        // Over the limit, no signature work at all: a JWT is never in the key caches.
        return limiter.IsLimited(client, default)
            ? ValueTask.FromResult(Failed(AuthenticationResult.Fail(AuthenticationReasons.Throttled), client))
            : AuthenticateJwtAsync(credential.Value!, client, cancellationToken);
    }

    private AuthenticationResult AuthenticateKey(in Credential credential, IPAddress? client, ConnectionCredentialMemo? memo)
    {
        if (memo is not null && memo.TryGetFacts(credential, out var known))
        {
            return keys.Authenticate(known, client);
        }

        // A key is read from the header into the stack: no string of the secret is made.
        Span<char> buffer = stackalloc char[Math.Min(credential.MaxLength, Credential.StackLength)];
        var facts = keys.Examine(credential.MaxLength <= Credential.StackLength ? credential.Read(buffer) : credential.Value);
        memo?.Remember(credential, facts);
        return keys.Authenticate(facts, client);
    }

    private async ValueTask<AuthenticationResult> AuthenticateJwtAsync(string token, IPAddress? client, CancellationToken cancellationToken)
    {
        var validation = await federated.ValidateAsync(token, asBearer: true, cancellationToken);
        return validation.Outcome switch
        {
            FederationOutcome.Valid => AuthenticationResult.FederatedJwt(validation.Principal!) with { Snapshot = validation.Snapshot },
            FederationOutcome.Unavailable => AuthenticationResult.IssuerUnavailable(),
            _ => Failed(AuthenticationResult.Fail(validation.Reason), client),
        };
    }

    private AuthenticationResult Failed(in AuthenticationResult failure, IPAddress? client)
    {
        var limited = limiter.IsLimited(client, default);
        limiter.RecordFailure(client, default);
        return limited ? AuthenticationResult.Throttled(failure) : failure;
    }
}
