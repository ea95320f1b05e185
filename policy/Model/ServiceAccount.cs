namespace Gateway.Policy.Model;

/// <summary>A non-human principal, scoped to an organization or to one team.</summary>
public sealed record ServiceAccount : Principal
{
    /// <summary>The name, unique within its team (team scope) or its organization (org scope).</summary>
    public required string Name { get; init; }

    /// <summary>Organization or team scope.</summary>
    public ServiceAccountScope Scope { get; init; }

    /// <summary>For a team-scoped account, its parent team; for an org-scoped one, its required default team.</summary>
    public required string Team { get; init; }

    /// <summary>Built-in (API keys) or federated (issuer and subject).</summary>
    public AuthenticationKind Authentication { get; init; }

    /// <summary>The JWT issuer of a federated account.</summary>
    public string? Issuer { get; init; }

    /// <summary>The JWT subject of a federated account mapped on the exact subject; null when only rules map it.</summary>
    public string? Subject { get; init; }

    /// <summary>Claim-based rules that also map tokens of <see cref="Issuer"/> to a federated account.</summary>
    public System.Collections.Immutable.ImmutableArray<FederationRule> Rules { get; init; } = [];

    /// <summary>Reaches projects by scope (W&amp;B) or by explicit grants only (Neptune).</summary>
    public AccessMode Access { get; init; }

    /// <inheritdoc />
    public override string DisplayName => Name + "@" + (Scope == ServiceAccountScope.Team ? Team : Org);

    /// <summary>The team whose scope bounds a team-scoped account; <c>null</c> for org scope.</summary>
    public string? ParentTeam => Scope == ServiceAccountScope.Team ? Team : null;
}
