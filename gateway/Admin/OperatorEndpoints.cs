using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Hosting;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>
/// Organizations and the gateway operator role. An operator creates organizations (with their first
/// admin, whose key is shown once) and sees every one; everybody else sees only their own. Operators
/// grant and revoke the role; the last one cannot be revoked (nobody could create an organization again).
/// </summary>
internal static class OperatorEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/orgs", ListOrgs);
        admin.MapPost("/orgs", CreateOrgAsync);
        admin.MapGet("/operators", ListOperators);
        admin.MapPut("/operators/{username}", (HttpContext h, string username, DirectoryService d, TimeProvider t) => SetOperator(h, username, d, t, true));
        admin.MapDelete("/operators/{username}", (HttpContext h, string username, DirectoryService d, TimeProvider t) => SetOperator(h, username, d, t, false));
    }

    public static bool IsOperator(Principal caller) => AdminAccess.IsOperator(caller);

    private static void RequireOperator(Principal caller)
    {
        if (!IsOperator(caller))
        {
            throw AdminProblemException.Forbidden(ProblemCodes.OperatorRequired, "Only a gateway operator may do this.");
        }
    }

    private static IResult ListOrgs(HttpContext http, DirectoryService directory)
    {
        var caller = AdminCaller.From(http);
        var d = directory.Current;
        var orgs = d.Organizations.Values
            .Where(o => IsOperator(caller.Principal) || o.Name == caller.Principal.Org)
            .OrderBy(o => o.Name, StringComparer.Ordinal)
            .Select(o => OrgView.Of(d, o));
        return AdminJson.Json(orgs.ToList());
    }

    private static async Task<IResult> CreateOrgAsync(HttpContext http, DirectoryService directory, KeyMinting minting, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        RequireOperator(caller.Principal);
        var body = await AdminJson.ReadAsync<CreateOrgRequest>(http);
        var errors = new FieldErrors();
        errors.Entity("name", body.Name);
        if (body.Admin is null)
        {
            errors.Add("admin", "'admin' is required: the organization's first admin, {\"username\": ..., \"email\": ...}.");
        }
        else
        {
            errors.Entity("admin.username", body.Admin.Username);
            if (body.Admin.Email is null || !Policy.Directory.Names.IsValidEmail(body.Admin.Email))
            {
                errors.Add("admin.email", "'admin.email' must be a valid email address.");
            }

            if (body.Admin.Username is not null && body.Admin.Username == body.Name)
            {
                errors.Add("admin.username", "The admin's username is an entity of its own: it cannot be the organization's name.");
            }
        }

        errors.ThrowIfAny();
        var created = directory.Write(d =>
        {
            RequireOperator(caller.Principal);
            DirectoryRules.RequireFreeName(d, body.Name!);
            DirectoryRules.RequireFreeName(d, body.Admin!.Username!);
            DirectoryRules.RequireFreeEmail(d, body.Admin.Email!);

            var now = time.UtcNowMillis();
            var org = new Organization { Name = body.Name!, CreatedAt = now };
            var admin = new User
            {
                Id = AdminIds.NewUserId(), Username = body.Admin.Username!, Email = body.Admin.Email!, Org = org.Name, OrgRole = OrgRole.Admin, CreatedAt = now,
            };
            var (keyChanges, key) = minting.Plan(directory.Store, d, admin, new CreateKeyRequest("first key", null, null, null), null, caller, now);
            var changes = new ChangeSet().Put(org).Put(admin)
                .Record(caller.Audit(now, org.Name, "org.create", org.Name, $"admin={admin.Username}"))
                .Record(caller.Audit(now, caller.Principal.Org, "org.create", org.Name, $"admin={admin.Username}"))
                .Append(keyChanges);

            return (changes, new CreatedOrgView(org.Name, UserView.Of(admin), key));
        });
        return AdminJson.Json(created, 201);
    }

    private static IResult ListOperators(HttpContext http, DirectoryService directory)
    {
        RequireOperator(AdminCaller.From(http).Principal);
        return AdminJson.Json(directory.Current.UsersById.Values.Where(u => u.Operator)
            .OrderBy(u => u.Username, StringComparer.Ordinal).Select(u => new OperatorView(u.Username, u.Org)).ToList());
    }

    private static IResult SetOperator(HttpContext http, string username, DirectoryService directory, TimeProvider time, bool grant)
    {
        var caller = AdminCaller.From(http);
        RequireOperator(caller.Principal);
        var user = directory.Write(d =>
        {
            RequireOperator(caller.Principal);
            if (!d.TryGetUser(username, out var target))
            {
                throw AdminProblemException.NotFound(ProblemCodes.UserNotFound, $"User '{username}'");
            }

            if (target.Operator == grant)
            {
                return (new ChangeSet(), target);
            }

            if (!grant)
            {
                DirectoryRules.RequireNotLastOperator(d, target);
            }

            var now = time.UtcNowMillis();
            var changed = target with { Operator = grant };
            var action = grant ? "operator.grant" : "operator.revoke";
            var changes = new ChangeSet().Put(changed).Record(caller.Audit(now, target.Org, action, target.Username));
            if (caller.Principal.Org != target.Org)
            {
                changes.Record(caller.Audit(now, caller.Principal.Org, action, target.Username));
            }

            return (changes, changed);
        });
        return AdminJson.Json(new OperatorView(user.Username, user.Org));
    }
}
