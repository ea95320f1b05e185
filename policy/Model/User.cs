using System.Collections.Immutable;

namespace Gateway.Policy.Model;

/// <summary>A human user. The username is also the user's personal entity.</summary>
public sealed record User : Principal
{
    /// <summary>The unique username, also the name of the personal entity.</summary>
    public required string Username { get; init; }

    /// <summary>The user's email address (unique; federated human users map on it).</summary>
    public required string Email { get; init; }

    /// <summary>The person's name as shown (W&amp;B's user <c>name</c>); the username when unset. Not an identifier.</summary>
    public string? FullName { get; init; }

    /// <summary>The user's role in the organization.</summary>
    public OrgRole OrgRole { get; init; } = OrgRole.Member;

    /// <summary>
    /// A gateway operator: may create and list organizations and grant or revoke this role, whatever
    /// the organization (the bootstrap admin holds it). Nothing else: inside an organization an
    /// operator has the rights of its org role only.
    /// </summary>
    public bool Operator { get; init; }

    /// <summary>The entity used when a request names none; the personal entity when unset.</summary>
    public string? DefaultEntity { get; init; }

    /// <summary>Team memberships: team name to role.</summary>
    public ImmutableDictionary<string, TeamRole> Teams { get; init; } = ImmutableDictionary<string, TeamRole>.Empty;

    /// <inheritdoc />
    public override string DisplayName => Username;

    /// <summary>The user's role in <paramref name="team"/>, if a member.</summary>
    public bool TryGetTeamRole(string team, out TeamRole role) => Teams.TryGetValue(team, out role);
}
