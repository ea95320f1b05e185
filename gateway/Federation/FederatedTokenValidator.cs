using System.Collections.Immutable;
using Gateway.Configuration;
using Gateway.Directory;
using Gateway.Keys;
using Gateway.Policy.Model;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Federation;

/// <summary>How a JWT validation ended.</summary>
internal enum FederationOutcome
{
    Invalid,
    Valid,
    /// <summary>The issuer's keys cannot be had right now: 503 with Retry-After, never 401.</summary>
    Unavailable,
}

/// <summary>The outcome, the reason (log and audit only), and on success who the token maps to.</summary>
/// <param name="Match">On success: who, and through which rule (named in the exchange's audit; an access token remembers a claim rule's id).</param>
internal readonly record struct FederatedValidation(FederationOutcome Outcome, string Reason, TrustedIssuer? Issuer, string? Subject, Principal? Principal,
    Directory.DirectorySnapshot? Snapshot = null, FederatedMatch Match = default);

/// <summary>
/// Validates a federated JWT: the cheap pre-checks, the issuer its <c>iss</c> names (exactly),
/// algorithm, type, audience and lifetime against that issuer's settings, then the signature with
/// that issuer's keys only, then the mapping on the exact (issuer, <c>sub</c>). Successful
/// validations are cached by token hash until <c>exp</c>, so RS256 is paid once per token, while the
/// mapping and the principal's state are read from the current directory on every call.
/// </summary>
internal sealed partial class FederatedTokenValidator(
    DirectoryService directory,
    IssuerKeyRegistry keys,
    FederationOptions options,
    TimeProvider time,
    Metrics.GatewayMetrics metrics,
    ILogger<FederatedTokenValidator> logger)
{
    private readonly JsonWebTokenHandler _handler = new() { MaximumTokenSizeInBytes = options.MaxTokenBytes };
    private readonly TwoGenerationCache<KeyHash, Validated> _validated = new(Math.Max(16, options.ValidationCacheSize / 2));

    // Valid tokens whose subject nothing maps: an operator setting up federation needs the subject that
    // arrived (never the token). Anyone with a token of a trusted issuer can send them: at most 10 a second.
    private readonly Diagnostics.LogRateLimiter _unmappedLog = new(10, time);

    /// <param name="token">The JWT as presented.</param>
    /// <param name="asBearer">True on proxied routes: only issuers that accept raw JWTs qualify.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    public async ValueTask<FederatedValidation> ValidateAsync(string token, bool asBearer, CancellationToken cancellationToken)
    {
        if (token.Length > options.MaxTokenBytes)
        {
            return Invalid(FederationReasons.TokenTooLarge);
        }

        var snapshot = directory.Current;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var hash = KeyHash.OfText(token);
        if (_validated.TryGet(hash, out var cached, out _)
            && snapshot.Issuers.TryGetValue(cached.Issuer.Url, out var current) && ReferenceEquals(current, cached.Issuer)
            && now < cached.Expires + (long)cached.Issuer.ClockSkew.TotalSeconds
            // Kept claims cover every claim a rule now names (else validated again, keeping the new ones).
            && (ReferenceEquals(cached.Named, snapshot.FederationRules.ClaimNames) || cached.Named.IsSupersetOf(snapshot.FederationRules.ClaimNames)))
        {
            metrics.JwtCacheHit.Inc();
            return Logged(snapshot, Map(snapshot, cached.Issuer, cached.Claims, asBearer), cached.Claims);
        }

        metrics.JwtCacheMiss.Inc();
        if (!JwtPreParser.TryParse(token, options.MaxTokenBytes, out var preview, out var reason))
        {
            return Invalid(reason);
        }

        if (!snapshot.Issuers.TryGetValue(preview.Issuer, out var issuer))
        {
            return Invalid(FederationReasons.IssuerUnknown);
        }

        // Refused before any signature work: the issuer wants its clients to exchange first.
        if (asBearer && !issuer.AcceptRawJwt)
        {
            return Invalid(FederationReasons.RawJwtNotAccepted, issuer);
        }

        if (CheckClaims(preview, issuer, now) is { } refused)
        {
            return Invalid(refused, issuer);
        }

        var (status, found) = await keys.For(issuer).FindAsync(preview.KeyId, cancellationToken);
        if (status != KeyLookupStatus.Found)
        {
            return status == KeyLookupStatus.Unavailable
                ? new FederatedValidation(FederationOutcome.Unavailable, FederationReasons.KeysUnavailable, issuer, null, null)
                : Invalid(FederationReasons.KeyUnknown, issuer);
        }

        var result = await _handler.ValidateTokenAsync(token, Parameters(issuer, found));
        if (!result.IsValid)
        {
            // The exception type only: its message may quote parts of the token.
            Log.SignatureRefused(logger, issuer.Url, result.Exception?.GetType().Name ?? "-");
            return Invalid(FederationReasons.SignatureInvalid, issuer);
        }

        var named = snapshot.FederationRules.ClaimNames;
        var claims = TokenClaims.Of(preview, named);
        _validated.Set(hash, new Validated(issuer, claims, named, preview.Expires));
        return Logged(snapshot, Map(snapshot, issuer, claims, asBearer), claims);
    }

    private FederatedValidation Logged(Directory.DirectorySnapshot snapshot, FederatedValidation validation, TokenClaims claims)
    {
        if (validation.Reason is FederationReasons.SubjectUnmapped or FederationReasons.RuleAmbiguous && validation.Issuer is { } issuer
            && _unmappedLog.TryAcquire(out _))
        {
            // The closest rule is looked for only when it will be logged: unmapped tokens cost no rule scan beyond the match.
            if (FederatedMapping.Closest(snapshot, issuer, claims) is { } closest)
            {
                Log.RuleUnmatched(logger, issuer.Url, Printable(claims.Subject), closest.Rule, closest.Failed);
            }
            else
            {
                Log.SubjectUnmapped(logger, issuer.Url, Printable(claims.Subject));
            }
        }

        return validation;
    }

    // A subject as logged: at most 200 characters, what would not print replaced (it is the token's claim, sent by anyone).
    private static string Printable(string subject) => LogText.Printable(subject, 200);

    private static FederatedValidation Map(Directory.DirectorySnapshot snapshot, TrustedIssuer issuer, TokenClaims claims, bool asBearer)
    {
        if (asBearer && !issuer.AcceptRawJwt)
        {
            return Invalid(FederationReasons.RawJwtNotAccepted, issuer);
        }

        if (!FederatedMapping.TryMap(snapshot, issuer, claims, out var match, out var ambiguous))
        {
            return Invalid(ambiguous ? FederationReasons.RuleAmbiguous : FederationReasons.SubjectUnmapped, issuer);
        }

        return match.Principal.Active
            ? new FederatedValidation(FederationOutcome.Valid, "", issuer, claims.Subject, match.Principal, snapshot, match)
            : Invalid(FederationReasons.PrincipalInactive, issuer);
    }

    private static string? CheckClaims(JwtPreview token, TrustedIssuer issuer, long now)
    {
        if (!issuer.Algorithms.Contains(token.Algorithm))
        {
            return FederationReasons.AlgorithmRefused;
        }

        if (issuer.Types.Length > 0 && (token.Type is null || !issuer.Types.Any(t => string.Equals(t, token.Type, StringComparison.OrdinalIgnoreCase))))
        {
            return FederationReasons.TypeRefused;
        }

        if (!token.Audiences.Any(a => issuer.Audiences.Contains(a)))
        {
            return FederationReasons.AudienceRefused;
        }

        var skew = (long)issuer.ClockSkew.TotalSeconds;
        if (now >= token.Expires + skew)
        {
            return FederationReasons.Expired;
        }

        if (token.NotBefore > now + skew || token.IssuedAt > now + skew)
        {
            return FederationReasons.NotYetValid;
        }

        var max = (long)issuer.MaxTokenLifetime.TotalSeconds;
        var start = token.IssuedAt ?? token.NotBefore ?? now;
        return token.Expires - start > max || token.Expires - now > max + skew ? FederationReasons.LifetimeTooLong : null;
    }

    // Lifetime, audience, algorithm and type were checked above against the injected clock; the
    // library checks the signature with this issuer's keys only, and issuer and audience again.
    private static TokenValidationParameters Parameters(TrustedIssuer issuer, ImmutableArray<SecurityKey> keys) => new()
    {
        ValidIssuer = issuer.Url,
        ValidAudiences = issuer.Audiences,
        ValidAlgorithms = issuer.Algorithms,
        IssuerSigningKeys = keys,
        TryAllIssuerSigningKeys = true,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = false,
        ValidateIssuerSigningKey = false,
        ClockSkew = issuer.ClockSkew,
    };

    private static FederatedValidation Invalid(string reason, TrustedIssuer? issuer = null) => new(FederationOutcome.Invalid, reason, issuer, null, null);

    private sealed record Validated(TrustedIssuer Issuer, TokenClaims Claims, ImmutableHashSet<string> Named, long Expires);

    private static partial class Log
    {
        [LoggerMessage(EventId = Diagnostics.EventIds.JwtSignatureRefused, EventName = "JwtSignatureRefused", Level = LogLevel.Information,
            Message = "A JWT naming issuer {Issuer} failed validation ({Error}).")]
        public static partial void SignatureRefused(ILogger logger, string issuer, string error);

        [LoggerMessage(EventId = Diagnostics.EventIds.JwtSubjectUnmapped, EventName = "JwtSubjectUnmapped", Level = LogLevel.Information,
            Message = "A valid JWT from issuer {Issuer} names subject '{Subject}', which no service account maps: refused. Create or fix the account's subject to accept it.")]
        public static partial void SubjectUnmapped(ILogger logger, string issuer, string subject);

        [LoggerMessage(EventId = Diagnostics.EventIds.JwtRuleUnmatched, EventName = "JwtRuleUnmatched", Level = LogLevel.Information,
            Message = "A valid JWT from issuer {Issuer} names subject '{Subject}', which no service account maps: refused. Closest rule {Rule}: {Condition}.")]
        public static partial void RuleUnmatched(ILogger logger, string issuer, string subject, string rule, string condition);
    }
}
