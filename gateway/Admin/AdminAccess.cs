using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Policy.Access;
using Gateway.Policy.Model;

namespace Gateway.Admin;

/// <summary>
/// Who may administer what. An object the caller may not see answers 404, exactly as one that does
/// not exist (a team admin of one team learns nothing about another); 403 only where the caller can
/// already see the object. Service accounts hold no admin role: they can only manage projects they
/// were granted owner on.
/// </summary>
internal static class AdminAccess
{
    public static bool IsOrgAdmin(Principal caller, string org)
        => caller is User { OrgRole: OrgRole.Admin, Active: true } user && user.Org == org;

    public static bool IsTeamAdmin(Principal caller, Team team)
        => IsOrgAdmin(caller, team.Org) || (caller is User user && user.TryGetTeamRole(team.Name, out var role) && role == TeamRole.Admin);

    /// <summary>The caller's own organization; any other (or none) answers 404.</summary>
    public static Organization RequireOwnOrg(DirectorySnapshot d, Principal caller, string org)
        => d.Organizations.TryGetValue(org, out var found) && caller.Org == org
            ? found
            : throw AdminProblemException.NotFound(ProblemCodes.OrgNotFound, $"Organization '{org}'");

    public static Organization RequireOrgAdmin(DirectorySnapshot d, Principal caller, string org)
    {
        var found = RequireOwnOrg(d, caller, org);
        return IsOrgAdmin(caller, org)
            ? found
            : throw AdminProblemException.Forbidden(ProblemCodes.OrgAdminRequired, "Only an org admin may do this.");
    }

    /// <summary>Only org admins see other users: to anyone else another user is not there.</summary>
    public static bool CanSeeUser(Principal caller, User user) => caller.Id == user.Id || IsOrgAdmin(caller, user.Org);

    /// <summary>The user, when the caller may act on them (<see cref="MayActOn"/>); 404 <c>user_not_found</c> otherwise, exactly as for no such user.</summary>
    public static User RequireUserToActOn(DirectorySnapshot d, Principal caller, string username)
        => d.UsersByName.TryGetValue(username, out var user) && CanSeeUser(caller, user) && MayActOn(d, caller, user)
            ? user
            : throw AdminProblemException.NotFound(ProblemCodes.UserNotFound, $"User '{username}'");

    /// <summary>The user, when the caller may see them; 404 <c>user_not_found</c> otherwise, exactly as for no such user.</summary>
    public static User RequireVisibleUser(DirectorySnapshot d, Principal caller, string username)
        => d.UsersByName.TryGetValue(username, out var user) && CanSeeUser(caller, user)
            ? user
            : throw AdminProblemException.NotFound(ProblemCodes.UserNotFound, $"User '{username}'");

    public static Team RequireTeamAdmin(DirectorySnapshot d, Principal caller, string team)
    {
        if (!d.Teams.TryGetValue(team, out var found) || !CanSeeTeam(caller, found))
        {
            throw AdminProblemException.NotFound(ProblemCodes.TeamNotFound, $"Team '{team}'");
        }

        return IsTeamAdmin(caller, found)
            ? found
            : throw AdminProblemException.Forbidden(ProblemCodes.TeamAdminRequired, "Only a team admin or an org admin may do this.");
    }

    public static bool CanSeeTeam(Principal caller, Team team)
        => IsOrgAdmin(caller, team.Org)
           || (caller is User user && user.Teams.ContainsKey(team.Name))
           || (caller is ServiceAccount account && account.Team == team.Name);

    public static bool CanManageAccount(DirectorySnapshot d, Principal caller, ServiceAccount account)
        => account.Scope == ServiceAccountScope.Organization
            ? IsOrgAdmin(caller, account.Org)
            : d.Teams.TryGetValue(account.Team, out var team) && IsTeamAdmin(caller, team);

    /// <summary>
    /// The service account, when the caller manages it and, to act on it (<paramref name="toActOn"/>),
    /// holds every right it holds; 404 <c>service_account_not_found</c> otherwise.
    /// </summary>
    public static ServiceAccount RequireManagedAccount(DirectorySnapshot d, Principal caller, string name, bool toActOn = true)
    {
        if (d.AccountsByName.TryGetValue(name, out var account) && (toActOn ? MayActOn(d, caller, account) : CanManageAccount(d, caller, account)))
        {
            return account;
        }

        throw AdminProblemException.NotFound(ProblemCodes.ServiceAccountNotFound, $"Service account '{name}'");
    }

    /// <summary>A user's keys: the user or an org admin. A service account's: its managers. Never above the caller's rights.</summary>
    public static bool CanManageKeysOf(DirectorySnapshot d, Principal caller, Principal owner) => MayActOn(d, caller, owner);

    /// <summary>
    /// The one rule for acting on a principal (minting or importing its keys, deleting its keys,
    /// deactivating, reactivating or deleting it): the caller must manage it and hold every right it
    /// holds, so no caller can borrow rights above its own. A user: the user itself, or an admin of its
    /// org; an operator only by an operator (an operator outranks every org role). A service account:
    /// its managers (org admins; for a team account, its team's admins), and only when each project
    /// granted to it directly is one the caller may manage (a grant from another team's project owner
    /// does not pass to this team's admins). Refusals answer as for a principal the caller cannot see.
    /// </summary>
    public static bool MayActOn(DirectorySnapshot d, Principal caller, Principal target) => target switch
    {
        User user => (user.Id == caller.Id || IsOrgAdmin(caller, user.Org)) && (!user.Operator || IsOperator(caller)),
        ServiceAccount account => CanManageAccount(d, caller, account) && GrantsWithin(d, caller, account),
        _ => false,
    };

    /// <summary>
    /// Setting or removing a user's role in a team (a team admin's own business) is refused when the
    /// user outranks the caller in the org: an org admin to anyone but an org admin, an operator to
    /// anyone but an operator.
    /// </summary>
    public static bool MayChangeTeamRoleOf(Principal caller, User user)
        => (!user.Operator || IsOperator(caller)) && (user.OrgRole != OrgRole.Admin || IsOrgAdmin(caller, user.Org));

    /// <summary>A principal's own request limits and usage: itself, those who may act on it, operators in every organization.</summary>
    public static bool MaySeeUsageOf(DirectorySnapshot d, Principal caller, Principal target)
        => caller.Id == target.Id || MayActOn(d, caller, target) || IsOperator(caller);

    public static bool IsOperator(Principal caller) => caller is User { Operator: true, Active: true };

    private static bool GrantsWithin(DirectorySnapshot d, Principal caller, ServiceAccount account)
    {
        if (IsOrgAdmin(caller, account.Org))
        {
            return true;
        }

        foreach (var grant in d.Grants.Values)
        {
            if (grant.PrincipalId == account.Id
                && !AccessEvaluator.Evaluate(new AccessRequest(caller, grant.Project.Entity, grant.Project.Name, AccessAction.Manage), d).IsAllowed)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The project, when the caller may manage it; 403 when it may only see it; 404 otherwise.</summary>
    public static Project RequireManagedProject(DirectorySnapshot d, Principal caller, string entity, string project)
    {
        if (!d.TryGetProject(new ProjectKey(entity, project), out var found))
        {
            throw AdminProblemException.NotFound(ProblemCodes.ProjectNotFound, $"Project '{entity}/{project}'");
        }

        var manage = AccessEvaluator.Evaluate(new AccessRequest(caller, entity, project, AccessAction.Manage), d);
        if (manage.IsAllowed)
        {
            return found;
        }

        // 403 only to a caller who can read the project anyway; to anyone else (another user's personal
        // project, another team's) it answers as a project that does not exist.
        var read = AccessEvaluator.Evaluate(new AccessRequest(caller, entity, project, AccessAction.Read), d);
        if (read.IsAllowed)
        {
            throw AdminProblemException.Forbidden(ProblemCodes.NotProjectManager, "Only the project's owners, team admins and org admins may manage it.");
        }

        throw AdminProblemException.NotFound(ProblemCodes.ProjectNotFound, $"Project '{entity}/{project}'");
    }
}
