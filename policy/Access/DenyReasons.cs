namespace Gateway.Policy.Access;

/// <summary>
/// Stable snake_case reason codes of the decision. They appear in logs, audit events and problem
/// bodies; never rename one once shipped.
/// </summary>
public static class DenyReasons
{
    /// <summary>Not a denial: the request is allowed.</summary>
    public const string Allowed = "allowed";
    /// <summary>The fallback of a decision that was never made.</summary>
    public const string Denied = "denied";
    /// <summary>The principal is deactivated.</summary>
    public const string PrincipalInactive = "principal_inactive";
    /// <summary>No entity was named and the principal has no default entity.</summary>
    public const string NoDefaultEntity = "no_default_entity";
    /// <summary>The entity is neither a team nor a user.</summary>
    public const string EntityNotFound = "entity_not_found";
    /// <summary>A restricted project the caller may not see; answered as if it did not exist (404).</summary>
    public const string ProjectNotFound = "project_not_found";
    /// <summary>The user is not a member of the owning team.</summary>
    public const string NotAMember = "not_a_member";
    /// <summary>The user's team role does not allow the action (a viewer writing).</summary>
    public const string InsufficientTeamRole = "insufficient_team_role";
    /// <summary>The explicit project role does not allow the action.</summary>
    public const string InsufficientProjectRole = "insufficient_project_role";
    /// <summary>A restricted project the caller knows (it may manage it) but holds no grant on.</summary>
    public const string GrantRequired = "grant_required";
    /// <summary>An explicit-mode service account without a grant on the project.</summary>
    public const string ExplicitGrantRequired = "explicit_grant_required";
    /// <summary>Another user's personal entity.</summary>
    public const string PersonalEntity = "personal_entity";
    /// <summary>A team-scoped service account outside its team.</summary>
    public const string OutsideServiceAccountScope = "outside_service_account_scope";
    /// <summary>A principal outside the entity's organization.</summary>
    public const string OutsideOrganization = "outside_organization";
    /// <summary>The caller may not manage the project.</summary>
    public const string NotProjectManager = "not_project_manager";
    /// <summary>The owner may, but the key's restrictions (access, projects, allowed networks) refuse it.</summary>
    public const string KeyRestricted = "key_restricted";

    /// <summary>Attribution verified: the named user belongs to the right team.</summary>
    public const string AttributionVerified = "attribution_verified";
    /// <summary>Attribution dropped: only service accounts may attribute.</summary>
    public const string AttributionNotServiceAccount = "attribution_not_service_account";
    /// <summary>Attribution dropped: no such user (or the user is deactivated).</summary>
    public const string AttributionUserNotFound = "attribution_user_not_found";
    /// <summary>Attribution dropped: username and email name different users.</summary>
    public const string AttributionMismatch = "attribution_mismatch";
    /// <summary>Attribution dropped: the user is not in the team the rule requires.</summary>
    public const string AttributionUserNotInTeam = "attribution_user_not_in_team";
}
