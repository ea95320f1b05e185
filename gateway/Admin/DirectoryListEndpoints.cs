using Gateway.Directory;
using Gateway.Policy.Access;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>
/// The listings an operator page needs: teams with their members, users, and projects. Each lists
/// only what the caller could already read one by one (an org admin everything in the org, a member
/// their own teams, themselves and the projects the access rules let them read), so a listing is
/// never a way around a 404.
/// </summary>
internal static class DirectoryListEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/orgs/{org}/teams", ListTeams);
        admin.MapGet("/orgs/{org}/users", ListUsers);
        admin.MapGet("/projects", ListProjects);
    }

    private static IResult ListTeams(HttpContext http, string org, DirectoryService directory)
    {
        var caller = AdminCaller.From(http).Principal;
        var d = directory.Current;
        AdminAccess.RequireOwnOrg(d, caller, org);
        // One pass over the users and the projects, not one per team.
        var members = d.UsersById.Values.Where(u => u.Org == org)
            .SelectMany(u => u.Teams.Select(m => new MemberView(m.Key, u.Username, Wire.Of(m.Value))))
            .ToLookup(m => m.Team, StringComparer.Ordinal);
        // Counted as the project listing lists them: a restricted project the caller may not see is not counted.
        var projects = d.Projects.Values.Where(p => d.TryGetEntity(p.Entity, out var owner) && owner.Org == org && IsListed(d, caller, p, out _))
            .CountBy(p => p.Entity, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        var teams = d.Teams.Values
            .Where(t => t.Org == org && AdminAccess.CanSeeTeam(caller, t))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => new TeamDetailView(t.Name, t.Org, t.CreatedAt, AdminAccess.IsTeamAdmin(caller, t),
                members[t.Name].OrderBy(m => m.Username, StringComparer.Ordinal).ToList(),
                projects.GetValueOrDefault(t.Name)))
            .ToList();
        return AdminJson.Json(teams);
    }

    // Listed (and counted) when the caller may read it through the proxy or manage it here (an org
    // admin manages a team's project without being a member who could read its runs).
    private static bool IsListed(DirectorySnapshot d, Principal caller, Project project, out bool manage)
    {
        manage = AccessEvaluator.Evaluate(new AccessRequest(caller, project.Entity, project.Name, AccessAction.Manage), d).IsAllowed;
        return manage || AccessEvaluator.Evaluate(new AccessRequest(caller, project.Entity, project.Name, AccessAction.Read), d).IsAllowed;
    }

    private static IResult ListUsers(HttpContext http, string org, DirectoryService directory)
    {
        var caller = AdminCaller.From(http).Principal;
        var d = directory.Current;
        AdminAccess.RequireOwnOrg(d, caller, org);
        // As GET /users/{name} answers: a member lists themselves.
        var users = d.UsersById.Values
            .Where(u => u.Org == org && AdminAccess.CanSeeUser(caller, u))
            .OrderBy(u => u.Username, StringComparer.Ordinal)
            .Select(UserView.Of)
            .ToList();
        return AdminJson.Json(users);
    }

    private static IResult ListProjects(HttpContext http, DirectoryService directory, string? entity)
    {
        var caller = AdminCaller.From(http).Principal;
        var d = directory.Current;
        var projects = new List<ProjectListView>();
        foreach (var project in d.Projects.Values)
        {
            if ((entity is not null && project.Entity != entity) || !d.TryGetEntity(project.Entity, out var owner) || owner.Org != caller.Org)
            {
                continue;
            }

            if (!IsListed(d, caller, project, out var manage))
            {
                continue;
            }

            projects.Add(new ProjectListView(project.Entity, project.Name, Wire.Of(project.Visibility), project.CreatedAt, manage));
        }

        projects.Sort((a, b) => string.CompareOrdinal(a.Entity + "/" + a.Name, b.Entity + "/" + b.Name));
        return AdminJson.Json(projects);
    }
}
