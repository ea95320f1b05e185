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
/// <c>PATCH /users/{username}</c>: a user's organization role and email (org admins, on users they may
/// act on, never their own role), default entity (the user or an org admin; the user's own name or
/// one of their teams) and name as shown (the user or an org admin). The email is an identity: federated sign-ins and token exchanges map on it, so a
/// user cannot change their own.
/// </summary>
internal static class UserUpdateEndpoints
{
    public static void Map(RouteGroupBuilder admin) => admin.MapPatch("/users/{username}", UpdateAsync);

    private static async Task<IResult> UpdateAsync(HttpContext http, string username, DirectoryService directory, ProbeGuard probes, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<UpdateUserRequest>(http);
        var errors = new FieldErrors();
        OrgRole? role = body.OrgRole is null ? null : errors.Enum<OrgRole>("orgRole", body.OrgRole);
        if (body.Email is not null && !Policy.Directory.Names.IsValidEmail(body.Email))
        {
            errors.Add("email", "'email' is not a valid email address.");
        }

        errors.Entity("defaultEntity", body.DefaultEntity, required: false);
        if (body.Name is not null)
        {
            errors.Label("name", body.Name);
        }

        if (body.OrgRole is null && body.Email is null && body.DefaultEntity is null && body.Name is null)
        {
            errors.Add("orgRole", "Send 'orgRole', 'email', 'defaultEntity' or 'name'.");
        }

        probes.ThrowIfLimited(http, caller);
        var updated = probes.CountingConflicts(http, caller, "user.update_conflict", caller.Principal.Org, null, body.Email, () => directory.Write(d =>
        {
            var user = AdminAccess.RequireUserToActOn(d, caller.Principal, username);
            var admin = AdminAccess.IsOrgAdmin(caller.Principal, user.Org);
            if ((role is not null || body.Email is not null) && !admin)
            {
                throw AdminProblemException.Forbidden(ProblemCodes.OrgAdminRequired, "Only an org admin changes a user's role or email.");
            }

            if (role is not null && user.Id == caller.Principal.Id && role != user.OrgRole)
            {
                throw AdminProblemException.Conflict("cannot_change_own_role", "An admin cannot change their own role: ask another org admin.");
            }

            if (body.DefaultEntity is { } entity && entity != user.Username && !user.Teams.ContainsKey(entity))
            {
                var choices = string.Join(", ", user.Teams.Keys.Order(StringComparer.Ordinal).Prepend(user.Username));
                errors.Add("defaultEntity", $"'defaultEntity' must be the user's own name or one of their teams: {choices}.");
            }

            errors.ThrowIfAny();
            if (body.Email is { } email && !string.Equals(email, user.Email, StringComparison.OrdinalIgnoreCase))
            {
                DirectoryRules.RequireFreeEmail(d, email);
            }

            var now = time.UtcNowMillis();
            var changed = user with
            {
                OrgRole = role ?? user.OrgRole,
                Email = body.Email ?? user.Email,
                DefaultEntity = body.DefaultEntity ?? user.DefaultEntity,
                FullName = body.Name ?? user.FullName,
            };
            var detail = string.Join(' ', new[]
            {
                changed.OrgRole != user.OrgRole ? $"orgRole={Wire.Of(changed.OrgRole)}" : null,
                changed.Email != user.Email ? "email changed" : null,
                changed.DefaultEntity != user.DefaultEntity ? $"defaultEntity={changed.DefaultEntity}" : null,
                changed.FullName != user.FullName ? "name changed" : null,
            }.Where(p => p is not null));
            var changes = new ChangeSet().Put(changed).Record(caller.Audit(now, user.Org, "user.update", user.Username, detail.Length == 0 ? "unchanged" : detail));
            return (changes, changed);
        }));
        return AdminJson.Json(UserView.Of(updated));
    }
}
