using Gateway.Directory;
using Gateway.Diagnostics;
using Gateway.Hosting;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>
/// <c>DELETE /teams/{team}</c> (org admins) and <c>PATCH /service-accounts/{sa}</c> (an org account's
/// default team, by its managers). A team that still holds projects, members or team service accounts is
/// refused (409 <c>team_not_empty</c>, with what it holds) unless <c>?cascade=true</c> is sent, which
/// deletes its projects and their grants, its team service accounts (their keys revoked) and the
/// memberships, in one transaction. A team that is an org service account's default team is refused
/// either way: the account's default team is moved first (nothing is guessed for it).
/// </summary>
internal static class TeamLifecycleEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapDelete("/teams/{team}", DeleteTeam);
        admin.MapPatch("/service-accounts/{sa}", UpdateAccountAsync);
    }

    private static IResult DeleteTeam(HttpContext http, string team, DirectoryService directory, TimeProvider time, string? cascade)
    {
        var caller = AdminCaller.From(http);
        var cascading = cascade switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw new AdminProblemException(StatusCodes.Status400BadRequest, ProblemCodes.InvalidQuery, "'cascade' is true or false."),
        };
        directory.Write(d =>
        {
            // A team the caller cannot see is not there for them; one they see but do not administer is 403.
            if (!d.Teams.TryGetValue(team, out var found) || !AdminAccess.CanSeeTeam(caller.Principal, found))
            {
                throw AdminProblemException.NotFound(ProblemCodes.TeamNotFound, $"Team '{team}'");
            }

            AdminAccess.RequireOrgAdmin(d, caller.Principal, found.Org);
            var defaulting = d.AccountsById.Values.Where(a => a.Scope == ServiceAccountScope.Organization && a.Team == team).Select(a => a.DisplayName).Order(StringComparer.Ordinal).ToList();
            if (defaulting.Count > 0)
            {
                throw AdminProblemException.Conflict("team_is_default_team",
                    $"Team '{team}' is the default team of {string.Join(", ", defaulting)}: give them another (service-accounts update NAME@ORG --default-team T) first.");
            }

            var projects = d.Projects.Values.Where(p => p.Entity == team).ToList();
            var members = d.UsersById.Values.Where(u => u.Teams.ContainsKey(team)).ToList();
            var accounts = d.AccountsById.Values.Where(a => a.Scope == ServiceAccountScope.Team && a.Team == team).ToList();
            var holds = $"{projects.Count} projects, {members.Count} members, {accounts.Count} team service accounts";
            if (!cascading && projects.Count + members.Count + accounts.Count > 0)
            {
                throw AdminProblemException.Conflict("team_not_empty", $"Team '{team}' holds {holds}: remove them, or delete with cascade (teams delete {team} --cascade).");
            }

            // The cascade acts as "members remove" on each member: refused for one the caller could not remove (an operator).
            if (members.FirstOrDefault(m => !AdminAccess.MayChangeTeamRoleOf(caller.Principal, m)) is { } protectedMember)
            {
                throw AdminProblemException.Conflict("team_not_empty", $"Team '{team}' has a member the caller may not remove ({protectedMember.Username}): an operator removes them first.");
            }

            var now = time.UtcNowMillis();
            var changes = new ChangeSet();
            foreach (var project in projects)
            {
                Cascade.RemoveProject(d, project, changes);
            }

            foreach (var account in accounts)
            {
                if (!AdminAccess.MayActOn(d, caller.Principal, account))
                {
                    throw AdminProblemException.Conflict("team_not_empty", $"Service account '{account.DisplayName}' holds rights the caller does not: delete it as its managers first.");
                }

                changes.Remove(account);
                Cascade.RemovePrincipal(d, directory.Store, account, now, changes);
            }

            foreach (var member in members)
            {
                changes.Put(member with { Teams = member.Teams.Remove(team), DefaultEntity = member.DefaultEntity == team ? null : member.DefaultEntity });
            }

            // A tombstone, not a removal: the name stays this organization's (the upstream keeps data under it).
            changes.Put(found with { DeletedAt = now }).Record(caller.Audit(now, found.Org, "team.delete", team, cascading ? $"cascade: {holds}" : null));
            return (changes, 0);
        });
        return Results.NoContent();
    }

    private static async Task<IResult> UpdateAccountAsync(HttpContext http, string sa, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<UpdateServiceAccountRequest>(http);
        var errors = new FieldErrors();
        errors.Entity("defaultTeam", body.DefaultTeam);
        var updated = directory.Write(d =>
        {
            var account = AdminAccess.RequireManagedAccount(d, caller.Principal, sa);
            if (account.Scope != ServiceAccountScope.Organization)
            {
                errors.Add("defaultTeam", "A team service account belongs to its team: only an org service account has a default team to change.");
            }
            else if (body.DefaultTeam is { } name && !(d.Teams.TryGetValue(name, out var team) && team.Org == account.Org))
            {
                errors.Add("defaultTeam", $"'defaultTeam' must be a team of organization '{account.Org}'.");
            }

            errors.ThrowIfAny();
            var now = time.UtcNowMillis();
            var changed = account with { Team = body.DefaultTeam! };
            var changes = new ChangeSet().Put(changed)
                .Record(caller.Audit(now, account.Org, "service_account.update", account.DisplayName, $"defaultTeam={changed.Team}"));
            return (changes, changed);
        });
        return AdminJson.Json(ServiceAccountView.Of(updated));
    }
}
