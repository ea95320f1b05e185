using Gateway.Hosting;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>Users' own keys, the key list and key deletion.</summary>
internal static class KeyEndpoints
{
    private const int MaxListed = 1000;

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapPost("/users/{username}/keys", CreateUserKeyAsync);
        admin.MapGet("/keys", List);
        admin.MapDelete("/keys/{keyId}", Delete);
    }

    private static async Task<IResult> CreateUserKeyAsync(HttpContext http, string username, DirectoryService directory, KeyMinting minting, ProbeGuard imports, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<CreateKeyRequest>(http);
        var errors = new FieldErrors();
        var restrictions = KeyMinting.Validate(body, errors, time.UtcNowMillis());
        // Another user's keys are invisible to a member: "not yours" answers exactly as "no such user".
        User Owner(DirectorySnapshot d) => d.UsersByName.TryGetValue(username, out var user) && user.Org == caller.Principal.Org
            && AdminAccess.CanManageKeysOf(d, caller.Principal, user)
                ? user
                // The same answer for a user the caller may not act on; the hint is for "keys create ci".
                : throw new AdminProblemException(StatusCodes.Status404NotFound, ProblemCodes.UserNotFound,
                    $"User '{username}' was not found. A service account is named name@team or name@org (service-accounts list shows them).");

        if (body.Key is { } imported)
        {
            var owner = Owner(directory.Current);
            errors.ThrowIfAny();
            imports.Check(http, caller, owner, imported);
        }

        var view = directory.Write(d =>
        {
            var user = Owner(d);
            errors.ThrowIfAny();
            return minting.Plan(directory.Store, d, user, body, restrictions, caller, time.UtcNowMillis());
        });
        return AdminJson.Json(view, 201);
    }

    private static IResult List(HttpContext http, DirectoryService directory, string? owner, string? q)
    {
        var caller = AdminCaller.From(http).Principal;
        var d = directory.Current;
        IEnumerable<Principal> owners;
        if (owner is not null)
        {
            if (!d.TryGetPrincipalByName(owner, out var found) || !AdminAccess.CanManageKeysOf(d, caller, found))
            {
                throw AdminProblemException.NotFound(ProblemCodes.PrincipalNotFound, $"Principal '{owner}'");
            }

            owners = [found];
        }
        else
        {
            owners = d.UsersById.Values.Cast<Principal>().Concat(d.AccountsById.Values)
                .Where(p => p.Org == caller.Org && AdminAccess.CanManageKeysOf(d, caller, p));
        }

        var keys = new List<KeyView>();
        foreach (var principal in owners)
        {
            foreach (var key in directory.Store.KeysOfOwner(principal.Id))
            {
                if (key.RevokedAt is null && Matches(key, q))
                {
                    keys.Add(KeyView.Of(key, principal.DisplayName));
                }
            }
        }

        return AdminJson.Json(keys.OrderBy(k => k.Owner, StringComparer.Ordinal).ThenBy(k => k.CreatedAt).Take(MaxListed).ToList());
    }

    private static bool Matches(ApiKey key, string? q)
        => string.IsNullOrEmpty(q)
           || key.Name.Contains(q, StringComparison.OrdinalIgnoreCase)
           || key.KeyId.StartsWith(q, StringComparison.Ordinal);

    /// <summary>A live key whose owner the caller may act on; otherwise 404 <c>key_not_found</c>, exactly as for no such key.</summary>
    public static (ApiKey Key, Principal Owner) RequireManagedKey(DirectorySnapshot d, IGatewayStore store, AdminCaller caller, string keyId)
    {
        var key = store.FindKeyById(keyId);
        if (key is null || key.RevokedAt is not null || !d.TryGetPrincipal(key.OwnerId, out var owner)
            || !AdminAccess.CanManageKeysOf(d, caller.Principal, owner))
        {
            throw AdminProblemException.NotFound(ProblemCodes.KeyNotFound, $"Key '{keyId}'");
        }

        return (key, owner);
    }

    private static IResult Delete(HttpContext http, string keyId, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        directory.Write(d =>
        {
            var (key, owner) = RequireManagedKey(d, directory.Store, caller, keyId);
            var now = time.UtcNowMillis();
            // Kept as a revoked tombstone, so the key id is never issued again.
            var changes = new ChangeSet().Put(key with { RevokedAt = now })
                .Record(caller.Audit(now, owner.Org, "key.delete", owner.DisplayName, $"keyId={key.KeyId}"));
            return (changes, 0);
        });
        return Results.NoContent();
    }
}
