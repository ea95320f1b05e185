using Gateway.Configuration;
using Gateway.Directory;
using Gateway.Hosting;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.Federation;

/// <summary>
/// Mints the access token of one successful exchange and plans its write: the token record (hash
/// only, with its expiry and the issuer and subject it stands for) and its audit event, in one
/// transaction. The token text exists in the response and nowhere else.
/// </summary>
internal sealed class AccessTokenMinting(AccessTokenFormat format, FederationOptions options, TimeProvider time)
{
    public TimeSpan Lifetime => options.AccessTokenLifetime;

    /// <summary>
    /// Mints for the principal of <paramref name="match"/>, re-checking under the write lock that the pair
    /// (or the claim rule) still maps to it and that it is active: a deactivation committed since the
    /// validation wins (its revocation could not have covered a token minted after it). Null when it no
    /// longer holds.
    /// </summary>
    public (string Token, ApiKey Stored)? Mint(DirectoryService directory, FederatedMatch match, TrustedIssuer issuer, string subject, string? address)
    {
        var owner = match.Principal;
        return directory.Write<(string, ApiKey)?>(d =>
        {
            if (!FederatedMapping.StillMaps(d, issuer.Url, subject, match.RuleId, owner.Id) || !d.TryGetPrincipal(owner.Id, out var current) || !current.Active)
            {
                return (new ChangeSet(), null);
            }

            var now = time.UtcNowMillis();
            for (var attempt = 0; attempt < 8; attempt++)
            {
                var (id, token) = format.Mint();
                var hash = KeyHash.Of(token);
                if (directory.Store.FindAccessTokenByHash(hash) is not null)
                {
                    continue;
                }

                var stored = new ApiKey
                {
                    KeyId = id, Hash = hash.ToArray(), OwnerId = owner.Id, Name = "token exchange", Format = ApiKeyFormatKind.AccessToken,
                    CreatedAt = now, ExpiresAt = now + options.AccessTokenLifetime, Issuer = issuer.Url, Subject = subject, Rule = match.RuleId,
                };
                var audit = new AuditEvent
                {
                    At = now, Org = owner.Org, Action = "token.exchange", Actor = owner.DisplayName, ActorId = owner.Id, KeyId = id,
                    Target = owner.DisplayName, Address = address, Detail = $"issuer={issuer.Url} rule={match.Rule} expiresAt={stored.ExpiresAt:O}",
                };
                return (new ChangeSet().Put(stored).Record(audit), (token, stored));
            }

            throw new InvalidOperationException("Could not mint an unused access token.");
        });
    }
}
