using Gateway.Federation;

namespace Gateway.Authentication;

/// <summary>
/// The one rule from an extracted credential to an <see cref="AuthenticationResult"/>, for the proxy
/// and the admin API alike: JWT-shaped credentials take the federation path (only where raw JWTs may
/// be used, and only for issuers that accept them), everything else is a key or an access token.
/// Keys stay synchronous: the common path completes without an allocation.
/// </summary>
internal sealed class CredentialAuthenticator(ApiKeyAuthenticator keys, FederatedTokenValidator federated)
{
    public ValueTask<AuthenticationResult> AuthenticateAsync(in Credential credential, bool allowRawJwt, CancellationToken cancellationToken)
    {
        if (credential.Status != CredentialStatus.Present)
        {
            return ValueTask.FromResult(AuthenticationResult.Fail(AuthenticationReasons.KeyMalformed));
        }

        if (!credential.IsJwtShaped)
        {
            return ValueTask.FromResult(keys.Authenticate(credential.Value!));
        }

        return allowRawJwt
            ? AuthenticateJwtAsync(credential.Value!, cancellationToken)
            : ValueTask.FromResult(AuthenticationResult.Fail(AuthenticationReasons.JwtNotAccepted));
    }

    private async ValueTask<AuthenticationResult> AuthenticateJwtAsync(string token, CancellationToken cancellationToken)
    {
        var validation = await federated.ValidateAsync(token, asBearer: true, cancellationToken);
        return validation.Outcome switch
        {
            FederationOutcome.Valid => AuthenticationResult.FederatedJwt(validation.Principal!),
            FederationOutcome.Unavailable => AuthenticationResult.IssuerUnavailable(),
            _ => AuthenticationResult.Fail(validation.Reason),
        };
    }
}
