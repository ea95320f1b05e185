using Gateway.Hosting;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>Teams and users of an organization: org admins only.</summary>
internal static class OrgEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapPost("/orgs/{org}/teams", CreateTeamAsync);
        admin.MapPost("/orgs/{org}/users", CreateUserAsync);
        admin.MapGet("/users/{username}", GetUser);
        admin.MapDelete("/users/{username}", DeleteUser);
        admin.MapPost("/users/{username}/deactivate", (HttpContext h, string username, DirectoryService d, TimeProvider t) => SetActive(h, username, d, t, false));
        admin.MapPost("/users/{username}/reactivate", (HttpContext h, string username, DirectoryService d, TimeProvider t) => SetActive(h, username, d, t, true));
    }

    private static async Task<IResult> CreateTeamAsync(HttpContext http, string org, DirectoryService directory, ProbeGuard probes, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<CreateTeamRequest>(http);
        var errors = new FieldErrors();
        errors.Entity("name", body.Name);
        probes.ThrowIfLimited(http, caller);
        var team = probes.CountingConflicts(http, caller, "team.create_conflict", org, body.Name, null, () => directory.Write(d =>
        {
            AdminAccess.RequireOrgAdmin(d, caller.Principal, org);
            errors.ThrowIfAny();
            DirectoryRules.RequireFreeTeamName(d, body.Name!, org);

            var now = time.UtcNowMillis();
            var created = new Team { Name = body.Name!, Org = org, CreatedAt = now };
            return (new ChangeSet().Put(created).Record(caller.Audit(now, org, "team.create", created.Name)), created);
        }));
        return AdminJson.Json(TeamView.Of(team), 201);
    }

    private static async Task<IResult> CreateUserAsync(HttpContext http, string org, DirectoryService directory, ProbeGuard probes, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<CreateUserRequest>(http);
        var errors = new FieldErrors();
        errors.Entity("username", body.Username);
        if (body.Email is null)
        {
            errors.Add("email", "'email' is required.");
        }
        else if (!Policy.Directory.Names.IsValidEmail(body.Email))
        {
            errors.Add("email", "'email' is not a valid email address.");
        }

        var role = errors.Enum<OrgRole>("orgRole", body.OrgRole, OrgRole.Member);
        errors.Entity("defaultEntity", body.DefaultEntity, required: false);
        probes.ThrowIfLimited(http, caller);
        var user = probes.CountingConflicts(http, caller, "user.create_conflict", org, body.Username, body.Email, () => directory.Write(d =>
        {
            AdminAccess.RequireOrgAdmin(d, caller.Principal, org);
            if (body.DefaultEntity is { } entity && entity != body.Username)
            {
                // A new user belongs to no team yet: a team becomes their default once they are its member.
                errors.Add("defaultEntity", $"'defaultEntity' must be the user's own name: add them to the team first (members set TEAM {body.Username} --role member), then set it with users update.");
            }

            errors.ThrowIfAny();
            DirectoryRules.RequireFreeName(d, body.Username!);

            DirectoryRules.RequireFreeEmail(d, body.Email!);

            var now = time.UtcNowMillis();
            var created = new User
            {
                Id = AdminIds.NewUserId(), Username = body.Username!, Email = body.Email!, Org = org, OrgRole = role,
                DefaultEntity = body.DefaultEntity, CreatedAt = now,
            };
            return (new ChangeSet().Put(created).Record(caller.Audit(now, org, "user.create", created.Username, $"orgRole={Wire.Of(role)}")), created);
        }));
        return AdminJson.Json(UserView.Of(user), 201);
    }

    private static IResult GetUser(HttpContext http, string username, DirectoryService directory)
    {
        var caller = AdminCaller.From(http);
        return AdminJson.Json(UserView.Of(AdminAccess.RequireVisibleUser(directory.Current, caller.Principal, username)));
    }

    private static IResult DeleteUser(HttpContext http, string username, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        directory.Write(d =>
        {
            var user = AdminAccess.RequireUserToActOn(d, caller.Principal, username);
            AdminAccess.RequireOrgAdmin(d, caller.Principal, user.Org);
            if (user.Id == caller.Principal.Id)
            {
                throw AdminProblemException.Conflict("cannot_delete_self", "An admin cannot delete their own user.");
            }

            DirectoryRules.RequireNotLastOperator(d, user);

            var now = time.UtcNowMillis();
            var changes = new ChangeSet().Remove(user);
            Cascade.RemovePrincipal(d, directory.Store, user, now, changes);
            changes.Record(caller.Audit(now, user.Org, "user.delete", username));
            return (changes, 0);
        });
        return Results.NoContent();
    }

    /// <summary>
    /// Suspends or restores a user: while deactivated every key, access token and console session of
    /// theirs is refused (authentication checks the owner); keys and access tokens work again on
    /// reactivation, console sessions never (they are revoked at deactivation).
    /// </summary>
    private static IResult SetActive(HttpContext http, string username, DirectoryService directory, TimeProvider time, bool active)
    {
        var caller = AdminCaller.From(http);
        var updated = directory.Write(d =>
        {
            var user = AdminAccess.RequireUserToActOn(d, caller.Principal, username);
            AdminAccess.RequireOrgAdmin(d, caller.Principal, user.Org);
            if (user.Active == active)
            {
                return (new ChangeSet(), user);
            }

            if (user.Id == caller.Principal.Id)
            {
                throw AdminProblemException.Conflict("cannot_deactivate_self", "An admin cannot deactivate their own user.");
            }

            if (!active)
            {
                DirectoryRules.RequireNotLastOperator(d, user);
            }

            var now = time.UtcNowMillis();
            var changed = user with { Active = active };
            var changes = new ChangeSet().Put(changed)
                .Record(caller.Audit(now, user.Org, active ? "user.reactivate" : "user.deactivate", username));
            if (!active)
            {
                // Keys come back with the user; console sessions do not: reactivation needs a new sign-in.
                foreach (var session in directory.Store.LiveAccessTokensOfOwner(user.Id, now).Where(k => k is { Format: ApiKeyFormatKind.ConsoleSession, RevokedAt: null }))
                {
                    changes.Put(session with { RevokedAt = now });
                }
            }
            return (changes, changed);
        });
        return AdminJson.Json(UserView.Of(updated));
    }
}
