using System.Collections.Immutable;

namespace Gateway.Policy.Model;

/// <summary>
/// One way a federated service account is reached: a token of the account's issuer maps to it when
/// its <c>sub</c> matches <see cref="Subject"/> and every condition holds. Patterns are exact text
/// unless they hold <c>*</c> (any run of characters without <c>:</c> or <c>/</c>) or <c>**</c> (any
/// run without <c>:</c>). Rules are never edited: a changed rule is a new rule with a new id, so an
/// access token minted through one ends when that rule is deleted.
/// </summary>
public sealed record FederationRule
{
    /// <summary>Random and never reused; what an access token minted through the rule remembers.</summary>
    public required string Id { get; init; }

    /// <summary>Unique within its account; named in audits and logs as <c>account/name</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The pattern <c>sub</c> must match.</summary>
    public required string Subject { get; init; }

    /// <summary>Conditions on other claims, at most one per claim, all of which must hold.</summary>
    public ImmutableArray<ClaimCondition> Conditions { get; init; } = [];

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// A top-level claim and the pattern its value must match. A missing claim, or one that is not a
/// string, fails it; <c>aud</c> (a string or a list) holds when any audience matches.
/// </summary>
public readonly record struct ClaimCondition(string Claim, string Pattern);
