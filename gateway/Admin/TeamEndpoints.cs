using Gateway.Hosting;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>Memberships and projects of a team: team admins and org admins.</summary>
internal static class TeamEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapPut("/teams/{team}/members/{username}", PutMemberAsync);
        admin.MapDelete("/teams/{team}/members/{username}", DeleteMember);
        admin.MapPost("/teams/{team}/projects", CreateProjectAsync);
    }

    private static async Task<IResult> PutMemberAsync(HttpContext http, string team, string username, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<RoleRequest>(http);
        var errors = new FieldErrors();
        var role = errors.Enum<TeamRole>("role", body.Role);
        var view = directory.Write(d =>
        {
            var found = AdminAccess.RequireTeamAdmin(d, caller.Principal, team);
            errors.ThrowIfAny();
            if (!d.UsersByName.TryGetValue(username, out var user) || user.Org != found.Org || !AdminAccess.MayChangeTeamRoleOf(caller.Principal, user))
            {
                throw AdminProblemException.NotFound(ProblemCodes.UserNotFound, $"User '{username}'");
            }

            var now = time.UtcNowMillis();
            var updated = user with { Teams = user.Teams.SetItem(team, role) };
            var changes = new ChangeSet().Put(updated).Record(caller.Audit(now, found.Org, "member.put", $"{team}/{username}", $"role={Wire.Of(role)}"));
            return (changes, new MemberView(team, username, Wire.Of(role)));
        });
        return AdminJson.Json(view);
    }

    private static IResult DeleteMember(HttpContext http, string team, string username, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        directory.Write(d =>
        {
            var found = AdminAccess.RequireTeamAdmin(d, caller.Principal, team);
            if (!d.UsersByName.TryGetValue(username, out var user) || user.Org != found.Org || !user.Teams.ContainsKey(team)
                || !AdminAccess.MayChangeTeamRoleOf(caller.Principal, user))
            {
                throw AdminProblemException.NotFound(ProblemCodes.MembershipNotFound, $"Membership of '{username}' in '{team}'");
            }

            var now = time.UtcNowMillis();
            var changes = new ChangeSet().Put(user with { Teams = user.Teams.Remove(team) })
                .Record(caller.Audit(now, found.Org, "member.delete", $"{team}/{username}"));
            return (changes, 0);
        });
        return Results.NoContent();
    }

    private static async Task<IResult> CreateProjectAsync(HttpContext http, string team, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<CreateProjectRequest>(http);
        var errors = new FieldErrors();
        if (body.Name is null)
        {
            errors.Add("name", "'name' is required.");
        }
        else if (!Policy.Directory.Names.IsValidProject(body.Name))
        {
            errors.Add("name", "'name' must match [A-Za-z0-9][A-Za-z0-9_.-]{0,127}.");
        }

        var visibility = errors.Enum<Visibility>("visibility", body.Visibility, Visibility.Team);
        var project = directory.Write(d =>
        {
            var org = RequireProjectCreator(d, caller.Principal, team);
            errors.ThrowIfAny();
            // Two projects of one entity may not differ only in case: people could not tell them apart.
            if (d.Projects.Keys.Any(k => k.Entity == team && string.Equals(k.Name, body.Name, StringComparison.OrdinalIgnoreCase)))
            {
                throw AdminProblemException.Conflict(ProblemCodes.NameTaken, $"Entity '{team}' already has a project named '{body.Name}' (names are unique regardless of case).");
            }

            var now = time.UtcNowMillis();
            var created = new Project { Entity = team, Name = body.Name!, Visibility = visibility, CreatedAt = now };
            var changes = new ChangeSet().Put(created)
                .Record(caller.Audit(now, org, "project.create", created.Key.ToString(), $"visibility={Wire.Of(visibility)}"));
            return (changes, created);
        });
        return AdminJson.Json(ProjectView.Of(project), 201);
    }

    // Projects live in a team (its admins, org admins) or in a personal entity (its user, org admins).
    internal static string RequireProjectCreator(DirectorySnapshot d, Principal caller, string entity)
    {
        if (d.UsersByName.TryGetValue(entity, out var owner))
        {
            if (owner.Id == caller.Id || AdminAccess.IsOrgAdmin(caller, owner.Org))
            {
                return owner.Org;
            }

            throw AdminProblemException.NotFound(ProblemCodes.TeamNotFound, $"Team '{entity}'");
        }

        return AdminAccess.RequireTeamAdmin(d, caller, entity).Org;
    }
}
