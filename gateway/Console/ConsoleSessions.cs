using Gateway.Admin;
using Gateway.Authentication;
using Gateway.Configuration;
using Gateway.Directory;
using Gateway.Hosting;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Http;

namespace Gateway.OperatorConsole;

/// <summary>A live console session: who it is, and the admin caller its pages act as.</summary>
internal sealed record ConsoleSession(ApiKey Stored, Principal Principal, AdminCaller Caller);

/// <summary>
/// Console sign-in sessions. A session is a random token in an HttpOnly cookie, stored like an access
/// token (its SHA-256 only, in the store every replica reads), so any replica serves it and signing
/// out, deleting the sign-in key, or deactivating or deleting its owner ends it everywhere. The API key
/// typed at sign-in is checked once and kept nowhere.
/// </summary>
internal sealed class ConsoleSessions(string keyPrefix, ConsoleOptions options, TimeProvider time)
{
    private readonly ApiKeyFormat _format = new(keyPrefix + "cs");

    /// <summary>The cookie's name: <c>__Host-</c> under TLS, so it is Secure, host-only and path <c>/</c>.</summary>
    public static string CookieName(HttpRequest request) => request.IsHttps ? "__Host-gw_console" : "gw_console";

    /// <summary>Starts a session for a successful sign-in with <paramref name="credential"/>; null when the principal is no longer active.</summary>
    public (string Token, ApiKey Stored)? Start(DirectoryService directory, in AuthenticationResult signIn, string credential, string? address)
    {
        var principal = signIn.Principal!;
        var keyId = signIn.KeyId!;
        var viaKey = signIn.Method == AuthMethods.ApiKey;
        // A session outlives neither its configured lifetime nor the credential it was started with
        // (an exchanged access token lasts an hour; its revocation with its owner revokes the session too).
        var keyExpiry = (viaKey ? directory.Store.FindKeyById(keyId) : directory.Store.FindAccessTokenByHash(KeyHash.Of(credential)))?.ExpiresAt;
        return directory.Write<(string, ApiKey)?>(d =>
        {
            if (!d.TryGetPrincipal(principal.Id, out var current) || !current.Active)
            {
                return (new ChangeSet(), null);
            }

            var now = time.UtcNowMillis();
            var expires = now + options.SessionLifetime;
            if (keyExpiry is { } k && k < expires)
            {
                expires = k;
            }

            var (id, token) = _format.Mint(ApiKeyFormatKind.Standard);
            var stored = new ApiKey
            {
                KeyId = id, Hash = KeyHash.Of(token).ToArray(), OwnerId = current.Id, Name = "console session",
                Format = ApiKeyFormatKind.ConsoleSession, CreatedAt = now, ExpiresAt = expires, Subject = viaKey ? keyId : null,
            };
            var audit = new AuditEvent
            {
                At = now, Org = current.Org, Action = "console.sign_in", Actor = current.DisplayName, ActorId = current.Id, KeyId = keyId,
                Target = current.DisplayName, Address = address, Detail = $"session={id} expiresAt={expires:O}", Channel = "console",
            };
            return (new ChangeSet().Put(stored).Record(audit), (token, stored));
        });
    }

    /// <summary>
    /// A new session for <paramref name="owner"/>, signed in without a key (by an identity provider), to
    /// commit in the caller's own write: it lasts the configured lifetime, and acts without key restrictions.
    /// </summary>
    public (string Token, ApiKey Stored) Mint(Principal owner, DateTimeOffset now)
    {
        var (id, token) = _format.Mint(ApiKeyFormatKind.Standard);
        return (token, new ApiKey
        {
            KeyId = id, Hash = KeyHash.Of(token).ToArray(), OwnerId = owner.Id, Name = "console session",
            Format = ApiKeyFormatKind.ConsoleSession, CreatedAt = now, ExpiresAt = now + options.SessionLifetime,
        });
    }

    /// <summary>The session a cookie names, when it is live: unexpired, unrevoked, its owner active and its sign-in key still valid.</summary>
    public ConsoleSession? Find(DirectoryService directory, string? token, string? address)
    {
        if (string.IsNullOrEmpty(token) || token.Length != _format.StandardLength
            || _format.Classify(token, out _) != KeyShape.Standard)
        {
            return null;
        }

        var hash = KeyHash.Of(token);
        var stored = directory.Store.FindAccessTokenByHash(hash);
        var now = time.GetUtcNow();
        if (stored is not { Format: ApiKeyFormatKind.ConsoleSession, RevokedAt: null } || !hash.FixedTimeEquals(stored.Hash)
            || stored.ExpiresAt is not { } expires || expires <= now)
        {
            return null;
        }

        var d = directory.Current;
        if (!d.TryGetPrincipal(stored.OwnerId, out var principal) || !principal.Active)
        {
            return null;
        }

        KeyRestrictions? restrictions = null;
        if (stored.Subject is { } keyId)
        {
            var signInKey = directory.Store.FindKeyById(keyId);
            if (signInKey is not { RevokedAt: null } || signInKey.ExpiresAt <= now)
            {
                return null;
            }

            // The session acts with its sign-in key's restrictions as they are now (changed or not since sign-in).
            restrictions = signInKey.Restrictions;
        }

        return new ConsoleSession(stored, principal, new AdminCaller(principal, stored.Subject ?? stored.KeyId, address, AdminCaller.ConsoleMethod) { Restrictions = restrictions });
    }

    /// <summary>Ends a session (sign-out): revoked in the store, so no replica accepts it again.</summary>
    public void End(DirectoryService directory, ConsoleSession session)
    {
        directory.Write(_ =>
        {
            var now = time.UtcNowMillis();
            var changes = new ChangeSet().Put(session.Stored with { RevokedAt = now })
                .Record(session.Caller.Audit(now, session.Principal.Org, "console.sign_out", session.Principal.DisplayName, $"session={session.Stored.KeyId}"));
            return (changes, 0);
        });
    }
}
