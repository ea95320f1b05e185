using System.Net;
using Gateway.Diagnostics;
using Gateway.Policy.Access;
using Gateway.Policy.Model;
using Microsoft.AspNetCore.Http;

namespace Gateway.Admin;

/// <summary>
/// A restricted key on the admin API and the console. Its networks hold here as on the proxy. A key
/// limited to projects is a data key: the directory is no project, so the admin API and the console
/// refuse it outright. A read-only key may read what its owner may read and change nothing: no key
/// minted, no grant given, so no restricted key can ever make a key with more rights than its own.
/// </summary>
internal static class AdminKeyRestrictions
{
    public static GatewayProblem? Refusal(AdminCaller caller, HttpContext http)
        => Refusal(caller.Restrictions, caller.KeyId, http.Connection.RemoteIpAddress,
            writes: !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)
                // Explain and a directory dry run are POSTs that change nothing (a read-only key may check for drift).
                && !(HttpMethods.IsPost(http.Request.Method) && http.Request.Path.Value is { } path
                    && (path.EndsWith("/explain", StringComparison.Ordinal)
                        || (path.EndsWith("/directory/apply", StringComparison.Ordinal) && http.Request.Query["dryRun"] is [ "true" ]))));

    /// <summary>Why <paramref name="restrictions"/> refuse an admin request from <paramref name="client"/> (that changes something when <paramref name="writes"/>), or null.</summary>
    public static GatewayProblem? Refusal(KeyRestrictions? restrictions, string keyId, IPAddress? client, bool writes)
    {
        if (restrictions is not { IsEmpty: false })
        {
            return null;
        }

        if (!KeyRestrictionCheck.AllowsAddress(restrictions, client))
        {
            // The proxy's own refusal, word for word.
            var denied = Authorization.KeyRestrictionDenial.Of(KeyRestrictionCheck.AllowedNetworks, keyId, restrictions, null, null, AccessAction.Write, client);
            return new GatewayProblem(denied.Status, denied.Reason, denied.Detail, restriction: denied.Restriction);
        }

        if (!restrictions.Projects.IsDefaultOrEmpty)
        {
            return Refused($"Key {keyId} may touch only {string.Join(", ", restrictions.Projects)}; the admin API and the console are not among them.", KeyRestrictionCheck.Projects);
        }

        return restrictions.Access == KeyAccess.Read && writes
            ? Refused($"Key {keyId} is read-only; it cannot change the directory.", KeyRestrictionCheck.Access)
            : null;
    }

    private static GatewayProblem Refused(string detail, string restriction) => new(403, ProblemCodes.KeyRestricted, detail, restriction: restriction);
}
