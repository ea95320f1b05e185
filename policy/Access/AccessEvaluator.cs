using Gateway.Policy.Directory;
using Gateway.Policy.Model;

namespace Gateway.Policy.Access;

/// <summary>
/// The access decision: pure, synchronous, allocation-free on every path. Every branch ends in an
/// explicit allow or a denial with a reason; nothing falls through to allow.
/// </summary>
public static class AccessEvaluator
{
    /// <summary>Decides <paramref name="request"/> against <paramref name="directory"/>.</summary>
    public static AccessDecision Evaluate(in AccessRequest request, IDirectory directory)
    {
        var principal = request.Principal;
        if (principal is null)
        {
            return AccessDecision.Deny(DenyReasons.Denied);
        }

        if (!principal.Active)
        {
            return AccessDecision.Deny(DenyReasons.PrincipalInactive);
        }

        var entityName = string.IsNullOrEmpty(request.Entity) ? DefaultEntity(principal) : request.Entity;
        if (string.IsNullOrEmpty(entityName))
        {
            return AccessDecision.Deny(DenyReasons.NoDefaultEntity);
        }

        if (!directory.TryGetEntity(entityName, out var entity))
        {
            return AccessDecision.Deny(DenyReasons.EntityNotFound, entityName);
        }

        var reason = string.IsNullOrEmpty(request.Project)
            ? EvaluateEntity(principal, entity, request.Action)
            : EvaluateProject(principal, entity, new ProjectKey(entity.Name, request.Project), request.Action, directory);

        if (!ReferenceEquals(reason, DenyReasons.Allowed))
        {
            return AccessDecision.Deny(reason, entity.Name);
        }

        if (request.Attribution.IsEmpty)
        {
            return AccessDecision.Allow(entity.Name);
        }

        var attribution = EvaluateAttribution(principal, entity, request.Attribution, directory, out var user);
        return AccessDecision.Allow(entity.Name, user, attribution);
    }

    /// <summary>
    /// Attribution alone, for requests that need only authentication (they name no project): the
    /// target is <paramref name="entity"/> or the principal's default entity. Null without a claim.
    /// </summary>
    public static string? EvaluateAttribution(Principal principal, string? entity, AttributionClaim claim, IDirectory directory, out User? user)
    {
        user = null;
        if (claim.IsEmpty)
        {
            return null;
        }

        var name = string.IsNullOrEmpty(entity) ? DefaultEntity(principal) : entity;
        if (string.IsNullOrEmpty(name) || !directory.TryGetEntity(name, out var target))
        {
            return principal is ServiceAccount ? DenyReasons.AttributionUserNotInTeam : DenyReasons.AttributionNotServiceAccount;
        }

        return EvaluateAttribution(principal, target, claim, directory, out user);
    }

    /// <summary>
    /// The entity used when a request names none: a user's chosen default (their own name or one of
    /// their teams), else their only team when they belong to exactly one (W&amp;B's rule: "if you are a
    /// member of only one team, that team is the default"), else their personal entity; an org service
    /// account's default team; a team service account's parent team. A chosen team the user has since
    /// left no longer counts.
    /// </summary>
    public static string? DefaultEntity(Principal principal) => principal switch
    {
        User user => DefaultEntity(user),
        ServiceAccount account => account.Team,
        _ => null,
    };

    private static string DefaultEntity(User user)
    {
        if (!string.IsNullOrEmpty(user.DefaultEntity) && (user.DefaultEntity == user.Username || user.Teams.ContainsKey(user.DefaultEntity)))
        {
            return user.DefaultEntity;
        }

        if (user.Teams.Count == 1)
        {
            foreach (var (team, _) in user.Teams)
            {
                return team;
            }
        }

        return user.Username;
    }

    /// <summary>
    /// True when <paramref name="principal"/> administers <paramref name="entity"/>: an org admin of its
    /// organization, an admin of the team, or the user whose personal entity it is. Grants no data access.
    /// </summary>
    public static bool IsEntityAdmin(Principal principal, in EntityRef entity)
    {
        if (principal is not User user || !user.Active)
        {
            return false;
        }

        if (user.OrgRole == OrgRole.Admin && user.Org == entity.Org)
        {
            return true;
        }

        return entity.Kind == EntityKind.Personal
            ? entity.OwnerUserId == user.Id
            : user.TryGetTeamRole(entity.Name, out var role) && role == TeamRole.Admin;
    }

    // A request that names an entity but no project is judged as a Team-visibility project of that
    // entity that nobody holds a grant on: only the entity's own principals get through.
    private static string EvaluateEntity(Principal principal, in EntityRef entity, AccessAction action)
    {
        if (action == AccessAction.Manage)
        {
            return IsEntityAdmin(principal, entity) ? DenyReasons.Allowed : DenyReasons.NotProjectManager;
        }

        if (principal is ServiceAccount { Access: AccessMode.Explicit })
        {
            return DenyReasons.ExplicitGrantRequired;
        }

        return EvaluateTeamScope(principal, entity, action);
    }

    private static string EvaluateProject(Principal principal, in EntityRef entity, ProjectKey key, AccessAction action, IDirectory directory)
    {
        // A project the directory does not know is a Team project of its entity: the platforms'
        // default for a project that the first write creates.
        var visibility = directory.TryGetProject(key, out var project) ? project.Visibility : Visibility.Team;
        var hasGrant = directory.TryGetGrant(principal.Id, key, out var grant);

        if (action == AccessAction.Manage)
        {
            if ((hasGrant && grant == ProjectRole.Owner) || IsEntityAdmin(principal, entity))
            {
                return DenyReasons.Allowed;
            }

            return visibility == Visibility.Restricted && !hasGrant ? DenyReasons.ProjectNotFound : DenyReasons.NotProjectManager;
        }

        if (principal is ServiceAccount { Access: AccessMode.Explicit })
        {
            if (!hasGrant)
            {
                return visibility == Visibility.Restricted ? DenyReasons.ProjectNotFound : DenyReasons.ExplicitGrantRequired;
            }

            return GrantAllows(grant, action) ? DenyReasons.Allowed : DenyReasons.InsufficientProjectRole;
        }

        if (visibility == Visibility.Restricted)
        {
            if (!hasGrant)
            {
                // Admins may manage the project, so they may know it exists; everyone else must not.
                return IsEntityAdmin(principal, entity) ? DenyReasons.GrantRequired : DenyReasons.ProjectNotFound;
            }

            return GrantAllows(grant, action) ? DenyReasons.Allowed : DenyReasons.InsufficientProjectRole;
        }

        if (hasGrant && GrantAllows(grant, action))
        {
            return DenyReasons.Allowed;
        }

        if (visibility == Visibility.Open || (visibility == Visibility.Public && action == AccessAction.Read))
        {
            return DenyReasons.Allowed;
        }

        var reason = EvaluateTeamScope(principal, entity, action);
        // A viewer grant on a Team project, asked to write, is a project-role problem, not a membership one.
        return hasGrant && !ReferenceEquals(reason, DenyReasons.Allowed) ? DenyReasons.InsufficientProjectRole : reason;
    }

    private static string EvaluateTeamScope(Principal principal, in EntityRef entity, AccessAction action)
    {
        switch (principal)
        {
            case User user when entity.Kind == EntityKind.Personal:
                return entity.OwnerUserId == user.Id ? DenyReasons.Allowed : DenyReasons.PersonalEntity;
            case User user:
                if (!user.TryGetTeamRole(entity.Name, out var role))
                {
                    return user.Org == entity.Org ? DenyReasons.NotAMember : DenyReasons.OutsideOrganization;
                }

                return action == AccessAction.Read || role >= TeamRole.Member ? DenyReasons.Allowed : DenyReasons.InsufficientTeamRole;
            case ServiceAccount when entity.Kind == EntityKind.Personal:
                return DenyReasons.PersonalEntity;
            case ServiceAccount account when account.Org != entity.Org:
                return DenyReasons.OutsideOrganization;
            case ServiceAccount { Scope: ServiceAccountScope.Team } account:
                return account.Team == entity.Name ? DenyReasons.Allowed : DenyReasons.OutsideServiceAccountScope;
            case ServiceAccount:
                return DenyReasons.Allowed;
            default:
                return DenyReasons.Denied;
        }
    }

    private static bool GrantAllows(ProjectRole grant, AccessAction action) => action switch
    {
        AccessAction.Read => true,
        AccessAction.Write => grant >= ProjectRole.Contributor,
        _ => grant == ProjectRole.Owner,
    };

    private static string EvaluateAttribution(Principal principal, in EntityRef entity, AttributionClaim claim, IDirectory directory, out User? user)
    {
        user = null;
        if (principal is not ServiceAccount account)
        {
            return DenyReasons.AttributionNotServiceAccount;
        }

        User? byName = null;
        User? byEmail = null;
        if (!string.IsNullOrEmpty(claim.Username) && !directory.TryGetUser(claim.Username, out byName))
        {
            return DenyReasons.AttributionUserNotFound;
        }

        if (!string.IsNullOrEmpty(claim.Email) && !directory.TryGetUserByEmail(claim.Email, out byEmail))
        {
            return DenyReasons.AttributionUserNotFound;
        }

        if (byName is not null && byEmail is not null && !ReferenceEquals(byName, byEmail) && byName.Id != byEmail.Id)
        {
            return DenyReasons.AttributionMismatch;
        }

        var candidate = byName ?? byEmail;
        if (candidate is null || !candidate.Active || candidate.Org != account.Org)
        {
            return DenyReasons.AttributionUserNotFound;
        }

        // Team SA: the user must be in its parent team. Org SA: in the team the request targets.
        var team = account.Scope == ServiceAccountScope.Team ? account.Team
            : entity.Kind == EntityKind.Team ? entity.Name : null;
        if (team is null || !candidate.Teams.ContainsKey(team))
        {
            return DenyReasons.AttributionUserNotInTeam;
        }

        user = candidate;
        return DenyReasons.AttributionVerified;
    }
}
