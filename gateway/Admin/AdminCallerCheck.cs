using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Http;

namespace Gateway.Admin;

/// <summary>
/// An admin request is authenticated when it arrives, and its body may take minutes to follow (a slow
/// client, or one stalling on purpose). Every write it makes is therefore checked again, inside the
/// directory's write lock, against the directory it is about to change: the caller still exists, is
/// still active, holds the same rights it was authenticated with (role, operator, teams, scope), and its
/// key is still live. Otherwise nothing is written: a deactivated admin's stalled request cannot mint a
/// key for someone else, and two admins demoting each other at once cannot both succeed.
/// </summary>
internal static class AdminCallerCheck
{
    /// <summary>Checks <paramref name="caller"/> before each write of the current admin request (flows with the request's execution context).</summary>
    public static void Install(AdminCaller caller, IGatewayStore store, TimeProvider time)
        => DirectoryService.WriterCheck.Value = snapshot => Check(caller, snapshot, store, time);

    private static void Check(AdminCaller caller, DirectorySnapshot d, IGatewayStore store, TimeProvider time)
    {
        var then = caller.Principal;
        if (!d.TryGetPrincipal(then.Id, out var now) || !now.Active)
        {
            throw new AdminProblemException(StatusCodes.Status401Unauthorized, ProblemCodes.InvalidCredentials);
        }

        if (caller.AuthMethod == Authentication.AuthMethods.ApiKey && !Live(store.FindKeyById(caller.KeyId), time.GetUtcNow()))
        {
            throw new AdminProblemException(StatusCodes.Status401Unauthorized, ProblemCodes.InvalidCredentials);
        }

        if (!SameRights(then, now))
        {
            throw AdminProblemException.Conflict("caller_changed", "Your own rights changed while this request was in flight: nothing was written; send it again.");
        }
    }

    private static bool Live(ApiKey? key, DateTimeOffset now) => key is { RevokedAt: null } && (key.ExpiresAt is not { } expires || expires > now);

    private static bool SameRights(Principal then, Principal now) => (then, now) switch
    {
        (User a, User b) => a.Org == b.Org && a.OrgRole == b.OrgRole && a.Operator == b.Operator && a.Teams.Count == b.Teams.Count
            && a.Teams.All(t => b.Teams.TryGetValue(t.Key, out var role) && role == t.Value),
        (ServiceAccount a, ServiceAccount b) => a.Org == b.Org && a.Team == b.Team && a.Scope == b.Scope && a.Access == b.Access,
        _ => false,
    };
}
