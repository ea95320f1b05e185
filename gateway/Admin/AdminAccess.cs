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

    public static ServiceAccount RequireManagedAccount(DirectorySnapshot d, Principal caller, string name)
    {
        if (d.AccountsByName.TryGetValue(name, out var account) && CanManageAccount(d, caller, account))
        {
            return account;
        }

        throw AdminProblemException.NotFound(ProblemCodes.ServiceAccountNotFound, $"Service account '{name}'");
    }

    /// <summary>A user's keys: the user or an org admin. A service account's: its managers.</summary>
    public static bool CanManageKeysOf(DirectorySnapshot d, Principal caller, Principal owner) => owner switch
    {
        User user => CanSeeUser(caller, user),
        ServiceAccount account => CanManageAccount(d, caller, account),
        _ => false,
    };

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
