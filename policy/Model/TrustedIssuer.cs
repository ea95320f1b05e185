using System.Collections.Immutable;

namespace Gateway.Policy.Model;

/// <summary>
/// An external identity provider trusted by one organization. Its JWTs can only ever produce
/// principals of that organization: a federated service account of one of its teams whose subject
/// equals <c>sub</c>, else a user of it whose email equals <c>sub</c>.
/// </summary>
public sealed record TrustedIssuer
{
    /// <summary>The exact <c>iss</c> value, compared byte for byte; unique across organizations.</summary>
    public required string Url { get; init; }

    /// <summary>The organization the issuer belongs to.</summary>
    public required string Org { get; init; }

    /// <summary>Accepted <c>aud</c> values; a token must name at least one.</summary>
    public required ImmutableArray<string> Audiences { get; init; }

    /// <summary>Accepted signature algorithms, asymmetric only.</summary>
    public required ImmutableArray<string> Algorithms { get; init; }

    /// <summary>Accepted <c>typ</c> header values; empty accepts any (or none).</summary>
    public ImmutableArray<string> Types { get; init; } = [];

    /// <summary>The key set's address; when unset, read from the issuer's discovery document.</summary>
    public string? JwksUri { get; init; }

    /// <summary>The longest a token may live, from <c>iat</c> (or now) to <c>exp</c>.</summary>
    public TimeSpan MaxTokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Tolerance for clock differences on <c>exp</c>, <c>nbf</c> and <c>iat</c>.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether its raw JWTs are accepted as Bearer credentials on proxied routes (off: exchange first).</summary>
    public bool AcceptRawJwt { get; init; }

    /// <summary>True when it comes from gateway.json: read-only through the admin API.</summary>
    public bool FromConfiguration { get; init; }

    /// <summary>When it was registered.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}
