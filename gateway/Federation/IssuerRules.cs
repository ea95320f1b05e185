using System.Collections.Immutable;
using Gateway.Policy.Model;

namespace Gateway.Federation;

/// <summary>What an issuer definition may say, for the admin API and gateway.json alike.</summary>
internal static class IssuerRules
{
    /// <summary>Asymmetric JWS algorithms: <c>none</c> and HS* are never accepted.</summary>
    public static readonly ImmutableArray<string> AsymmetricAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

    public static readonly ImmutableArray<string> DefaultAlgorithms = ["RS256", "ES256"];

    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromSeconds(60);

    // The library default of five minutes is too lax for a gateway.
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(120);

    public static readonly TimeSpan DefaultMaxTokenLifetime = TimeSpan.FromHours(1);

    public static readonly TimeSpan UpperMaxTokenLifetime = TimeSpan.FromHours(24);

    public const int MaxUrlLength = 512;

    /// <summary>
    /// Checks every field and reports each problem through <paramref name="error"/> (field name,
    /// message); returns the issuer only when there was none. Values are kept exactly as given:
    /// <c>iss</c> is compared byte for byte, so nothing is normalized.
    /// </summary>
    public static TrustedIssuer? Build(IssuerDraft draft, DateTimeOffset now, Action<string, string> error)
    {
        var ok = true;
        void Fail(string field, string message)
        {
            ok = false;
            error(field, message);
        }

        if (!IsFetchableUrl(draft.Url) || draft.Url!.Contains('?'))
        {
            Fail("issuer", "'issuer' is required: an absolute https URL (http only on a loopback address) without query, fragment or user info, at most 512 characters.");
        }

        if (draft.JwksUri is not null && !IsFetchableUrl(draft.JwksUri))
        {
            Fail("jwksUri", "'jwksUri' must be an absolute https URL (http only on a loopback address) without fragment or user info.");
        }

        var audiences = draft.Audiences is null ? [draft.Org, "wandb"] : draft.Audiences.ToImmutableArray();
        if (audiences.IsEmpty || audiences.Any(a => string.IsNullOrEmpty(a) || a.Length > MaxUrlLength || !Policy.Directory.Names.IsPrintable(a)) || audiences.Distinct(StringComparer.Ordinal).Count() != audiences.Length)
        {
            Fail("audiences", "'audiences' must list one or more distinct, non-empty values of printable characters.");
        }

        var algorithms = draft.Algorithms is null ? DefaultAlgorithms : draft.Algorithms.ToImmutableArray();
        if (algorithms.IsEmpty || algorithms.Any(a => !AsymmetricAlgorithms.Contains(a)) || algorithms.Distinct(StringComparer.Ordinal).Count() != algorithms.Length)
        {
            Fail("algorithms", $"'algorithms' must list distinct asymmetric algorithms from: {string.Join(", ", AsymmetricAlgorithms)} (none and HS* are never accepted).");
        }

        var types = draft.Types?.ToImmutableArray() ?? [];
        if (types.Any(t => string.IsNullOrEmpty(t) || t.Length > 64 || t.Any(c => c <= ' ' || c > '~')))
        {
            Fail("types", "'types' must list non-empty typ values such as JWT.");
        }

        var lifetime = draft.MaxTokenLifetime ?? DefaultMaxTokenLifetime;
        if (lifetime < TimeSpan.FromSeconds(1) || lifetime > UpperMaxTokenLifetime)
        {
            Fail("maxTokenLifetime", "'maxTokenLifetime' must be between 1 second and 24 hours.");
        }

        var skew = draft.ClockSkew ?? DefaultClockSkew;
        if (skew < TimeSpan.Zero || skew > MaxClockSkew)
        {
            Fail("clockSkew", "'clockSkew' must be between 0 and 120 seconds.");
        }

        return ok
            ? new TrustedIssuer
            {
                Url = draft.Url!, Org = draft.Org, Audiences = audiences, Algorithms = algorithms, Types = types, JwksUri = draft.JwksUri,
                MaxTokenLifetime = lifetime, ClockSkew = skew, AcceptRawJwt = draft.AcceptRawJwt ?? false,
                FromConfiguration = draft.FromConfiguration, CreatedAt = now,
            }
            : null;
    }

    /// <summary>Whether two definitions of an issuer would validate tokens identically (lists compared by content).</summary>
    public static bool SameDefinition(TrustedIssuer a, TrustedIssuer b)
        => a.Url == b.Url && a.Org == b.Org && a.Audiences.SequenceEqual(b.Audiences) && a.Algorithms.SequenceEqual(b.Algorithms)
           && a.Types.SequenceEqual(b.Types) && a.JwksUri == b.JwksUri && a.MaxTokenLifetime == b.MaxTokenLifetime
           && a.ClockSkew == b.ClockSkew && a.AcceptRawJwt == b.AcceptRawJwt && a.FromConfiguration == b.FromConfiguration;

    /// <summary>https anywhere; plain http only to a loopback address (tests, a sidecar issuer).</summary>
    public static bool IsFetchableUrl(string? url)
    {
        if (string.IsNullOrEmpty(url) || url.Length > MaxUrlLength || url.Any(c => c <= ' ' || c > '~')
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0 || url.Contains('#'))
        {
            return false;
        }

        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            return true;
        }

        return uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback;
    }
}

/// <summary>An issuer definition as written by an operator, before validation.</summary>
internal sealed record IssuerDraft(
    string? Url,
    string Org,
    IReadOnlyList<string>? Audiences,
    IReadOnlyList<string>? Algorithms,
    IReadOnlyList<string>? Types,
    string? JwksUri,
    TimeSpan? MaxTokenLifetime,
    TimeSpan? ClockSkew,
    bool? AcceptRawJwt,
    bool FromConfiguration = false);
