using Gateway.Hosting;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>Visibility, deletion and grants of a project: its owners, team admins and org admins.</summary>
internal static class ProjectEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/projects/{entity}/{project}", GetProject);
        admin.MapPatch("/projects/{entity}/{project}", UpdateProjectAsync);
        admin.MapDelete("/projects/{entity}/{project}", DeleteProject);
        admin.MapGet("/projects/{entity}/{project}/grants", ListGrants);
        admin.MapPut("/projects/{entity}/{project}/grants/{principal}", PutGrantAsync);
        admin.MapDelete("/projects/{entity}/{project}/grants/{principal}", DeleteGrant);
    }

    private static IResult GetProject(HttpContext http, string entity, string project, DirectoryService directory)
    {
        var caller = AdminCaller.From(http);
        return AdminJson.Json(ProjectView.Of(AdminAccess.RequireManagedProject(directory.Current, caller.Principal, entity, project)));
    }

    private static async Task<IResult> UpdateProjectAsync(HttpContext http, string entity, string project, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<UpdateProjectRequest>(http);
        var errors = new FieldErrors();
        var visibility = errors.Enum<Visibility>("visibility", body.Visibility);
        var updated = directory.Write(d =>
        {
            var found = AdminAccess.RequireManagedProject(d, caller.Principal, entity, project);
            errors.ThrowIfAny();
            var now = time.UtcNowMillis();
            var changed = found with { Visibility = visibility };
            var changes = new ChangeSet().Put(changed)
                .Record(caller.Audit(now, OrgOf(d, entity), "project.update", found.Key.ToString(), $"visibility={Wire.Of(visibility)}"));
            return (changes, changed);
        });
        return AdminJson.Json(ProjectView.Of(updated));
    }

    private static IResult DeleteProject(HttpContext http, string entity, string project, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        directory.Write(d =>
        {
            var found = AdminAccess.RequireManagedProject(d, caller.Principal, entity, project);
            var changes = new ChangeSet();
            Cascade.RemoveProject(d, found, changes);
            changes.Record(caller.Audit(time.UtcNowMillis(), OrgOf(d, entity), "project.delete", found.Key.ToString()));
            return (changes, 0);
        });
        return Results.NoContent();
    }

    private static IResult ListGrants(HttpContext http, string entity, string project, DirectoryService directory)
    {
        var caller = AdminCaller.From(http);
        var d = directory.Current;
        var found = AdminAccess.RequireManagedProject(d, caller.Principal, entity, project);
        var grants = d.Grants.Values.Where(g => g.Project == found.Key)
            .Select(g => new GrantView(entity, project, d.TryGetPrincipal(g.PrincipalId, out var p) ? p.DisplayName : g.PrincipalId, Wire.Of(g.Role)))
            .OrderBy(g => g.Principal, StringComparer.Ordinal)
            .ToList();
        return AdminJson.Json(grants);
    }

    private static async Task<IResult> PutGrantAsync(HttpContext http, string entity, string project, string principal, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<RoleRequest>(http);
        var errors = new FieldErrors();
        var role = errors.Enum<ProjectRole>("role", body.Role);
        var view = directory.Write(d =>
        {
            var found = AdminAccess.RequireManagedProject(d, caller.Principal, entity, project);
            errors.ThrowIfAny();
            var org = OrgOf(d, entity);
            var grantee = RequirePrincipalInOrg(d, principal, org);
            var now = time.UtcNowMillis();
            var grant = new ProjectGrant { PrincipalId = grantee.Id, Project = found.Key, Role = role };
            var changes = new ChangeSet().Put(grant)
                .Record(caller.Audit(now, org, "grant.put", $"{found.Key}:{grantee.DisplayName}", $"role={Wire.Of(role)}"));
            return (changes, new GrantView(entity, project, grantee.DisplayName, Wire.Of(role)));
        });
        return AdminJson.Json(view);
    }

    private static IResult DeleteGrant(HttpContext http, string entity, string project, string principal, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        directory.Write(d =>
        {
            var found = AdminAccess.RequireManagedProject(d, caller.Principal, entity, project);
            var org = OrgOf(d, entity);
            var grantee = RequirePrincipalInOrg(d, principal, org);
            if (!d.Grants.TryGetValue((grantee.Id, found.Key), out var grant))
            {
                throw AdminProblemException.NotFound(ProblemCodes.GrantNotFound, $"A grant for '{principal}' on '{found.Key}'");
            }

            var changes = new ChangeSet().Remove(grant)
                .Record(caller.Audit(time.UtcNowMillis(), org, "grant.delete", $"{found.Key}:{grantee.DisplayName}"));
            return (changes, 0);
        });
        return Results.NoContent();
    }

    internal static Principal RequirePrincipalInOrg(DirectorySnapshot d, string name, string org)
        => d.TryGetPrincipalByName(name, out var principal) && principal.Org == org
            ? principal
            : throw AdminProblemException.NotFound(ProblemCodes.PrincipalNotFound, $"Principal '{name}'");

    private static string OrgOf(DirectorySnapshot d, string entity) => d.TryGetEntity(entity, out var e) ? e.Org : "";
}
