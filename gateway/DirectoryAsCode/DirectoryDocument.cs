using System.Text.Json.Serialization;

namespace Gateway.DirectoryAsCode;

/// <summary>
/// One organization's directory as a document (docs/directory.schema.json): what <c>gateway directory
/// export</c> writes and <c>apply</c> reads. Names, never internal ids, so a document applies to any
/// store; never a secret or key hash. A section left out (null) is not managed: apply changes nothing of
/// that kind. Properties are written in declaration order, lists and maps sorted ordinally, defaults left
/// out, no timestamp that an apply would change: the same directory always exports to the same bytes.
/// </summary>
internal sealed record DirectoryDocument
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    public required string Organization { get; init; }

    public IReadOnlyList<IssuerEntry>? Issuers { get; init; }

    public IReadOnlyList<TeamEntry>? Teams { get; init; }

    public IReadOnlyList<UserEntry>? Users { get; init; }

    public IReadOnlyList<ServiceAccountEntry>? ServiceAccounts { get; init; }

    public IReadOnlyList<ProjectEntry>? Projects { get; init; }

    /// <summary>Key metadata, only with <c>--keys</c>: checked by apply, never created, changed or revoked by it.</summary>
    public IReadOnlyList<KeyEntry>? Keys { get; init; }
}

internal sealed record TeamEntry(string Name);

internal sealed record UserEntry
{
    public required string Username { get; init; }

    public required string Email { get; init; }

    public string? Name { get; init; }

    public string OrgRole { get; init; } = "member";

    /// <summary>True, or left out.</summary>
    public bool? Operator { get; init; }

    /// <summary>False (deactivated), or left out.</summary>
    public bool? Active { get; init; }

    public string? DefaultEntity { get; init; }

    /// <summary>Team name to role.</summary>
    public IReadOnlyDictionary<string, string>? Teams { get; init; }

    public LimitsEntry? Limits { get; init; }
}

internal sealed record ServiceAccountEntry
{
    public required string Name { get; init; }

    /// <summary><c>team</c> (of <see cref="Team"/>) or <c>org</c> (with <see cref="Team"/> its default team).</summary>
    public required string Scope { get; init; }

    public required string Team { get; init; }

    public string Authentication { get; init; } = "builtin";

    public string? Issuer { get; init; }

    public string? Subject { get; init; }

    public string Access { get; init; } = "scope";

    public bool? Active { get; init; }

    public LimitsEntry? Limits { get; init; }

    /// <summary>A federated account's claim rules, rule name to rule: with or instead of an exact <see cref="Subject"/>.</summary>
    public IReadOnlyDictionary<string, FederationRuleEntry>? Rules { get; init; }

    /// <summary>As every command names it: <c>name@team</c> or <c>name@org</c>.</summary>
    public string DisplayNameIn(string org) => Name + "@" + (Scope == "team" ? Team : org);
}

/// <summary>
/// A claim rule without its id and creation time (an apply gives new ones): the same rule in the
/// document and the store is left alone, so tokens minted through it live on; a changed one is a new rule.
/// </summary>
internal sealed record FederationRuleEntry
{
    public required string Subject { get; init; }

    /// <summary>Claim to pattern.</summary>
    public IReadOnlyDictionary<string, string>? Conditions { get; init; }
}

internal sealed record ProjectEntry
{
    public required string Entity { get; init; }

    public required string Name { get; init; }

    public string Visibility { get; init; } = "team";

    /// <summary>Principal (<c>alice</c>, <c>ci@ml</c>) to role.</summary>
    public IReadOnlyDictionary<string, string>? Grants { get; init; }

    [JsonIgnore]
    public string Key => Entity + "/" + Name;
}

internal sealed record IssuerEntry
{
    public required string Issuer { get; init; }

    public required IReadOnlyList<string> Audiences { get; init; }

    public IReadOnlyList<string>? Algorithms { get; init; }

    public IReadOnlyList<string>? Types { get; init; }

    public string? JwksUri { get; init; }

    public int? MaxTokenLifetimeSeconds { get; init; }

    public int? ClockSkewSeconds { get; init; }

    public bool? AcceptRawJwt { get; init; }
}

internal sealed record LimitsEntry(double? PermitsPerSecond, int? Burst, long? RequestsPerDay);

internal sealed record KeyEntry
{
    public required string Id { get; init; }

    public required string Owner { get; init; }

    public required string Name { get; init; }

    public required string Format { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public KeyRestrictionsEntry? Restrictions { get; init; }
}

internal sealed record KeyRestrictionsEntry(string Access, IReadOnlyList<string> Projects, IReadOnlyList<string> AllowedNetworks);
