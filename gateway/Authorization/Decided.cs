using Gateway.Policy.Model;

namespace Gateway.Authorization;

/// <summary>
/// The outcome of deciding one request: the feature when allowed, else the status and the stable reason
/// code, and for a 403 the explanation a caller may read (whose request, which entity and project, which
/// rule). Only 403s are explained: a 404 must stay the answer for a project that does not exist.
/// </summary>
internal readonly record struct Decided(GatewayFeature? Feature, int Status, string Reason, string? Detail = null, string? Restriction = null)
{
    public static implicit operator Decided((GatewayFeature? Feature, int Status, string Reason) decided) => new(decided.Feature, decided.Status, decided.Reason);

    public void Deconstruct(out GatewayFeature? feature, out int status, out string reason) => (feature, status, reason) = (Feature, Status, Reason);
}

/// <summary>What a 403 says, in words, per reason: the caller's own rights and the target, nothing the caller could not know.</summary>
internal static class DenialDetails
{
    public static string? For(string reason, Principal principal, string entity, string? project, AccessAction action)
    {
        var target = project is null ? $"entity {entity}" : $"project {entity}/{project}";
        var verb = action switch { AccessAction.Read => "read", AccessAction.Manage => "manage", _ => "write to" };
        return reason switch
        {
            Policy.Access.DenyReasons.OutsideServiceAccountScope when principal is ServiceAccount account =>
                $"Service account {account.DisplayName} is scoped to team {account.Team}; {target} is outside it.",
            Policy.Access.DenyReasons.NotAMember => $"{principal.DisplayName} is not a member of team {entity}, which owns {target}.",
            Policy.Access.DenyReasons.InsufficientTeamRole => $"{principal.DisplayName}'s role in team {entity} does not allow it to {verb} {target}.",
            Policy.Access.DenyReasons.InsufficientProjectRole => $"{principal.DisplayName}'s role on {target} does not allow it to {verb} it.",
            Policy.Access.DenyReasons.GrantRequired => $"{target} is restricted: {principal.DisplayName} needs a grant on it.",
            Policy.Access.DenyReasons.ExplicitGrantRequired => $"{principal.DisplayName} acts only on projects granted to it; {target} is not.",
            Policy.Access.DenyReasons.PersonalEntity => $"{entity} is another user's personal entity.",
            Policy.Access.DenyReasons.PrincipalInactive => $"{principal.DisplayName} is deactivated.",
            _ => null,
        };
    }
}
