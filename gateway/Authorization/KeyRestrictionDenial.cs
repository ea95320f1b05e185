using System.Net;
using Gateway.Policy.Access;
using Gateway.Policy.Model;

namespace Gateway.Authorization;

/// <summary>
/// A 403 <c>key_restricted</c>: which restriction refused and, in words, what the key allows. Says only
/// what the key's holder can read in its own key table, never whether a project exists (the owner's
/// decision runs first, so a project the owner may not see is a 404 before any restriction is asked).
/// </summary>
internal static class KeyRestrictionDenial
{
    public static Decided Of(string restriction, string? keyId, KeyRestrictions restrictions, string? entity, string? project, AccessAction action, IPAddress? client)
    {
        var key = keyId is null ? "This key" : $"Key {keyId}";
        var target = entity is null ? "this request" : project is null ? $"entity {entity}" : $"project {entity}/{project}";
        var detail = restriction switch
        {
            KeyRestrictionCheck.Access => entity is null
                ? $"{key} is read-only; this request would {(action == AccessAction.Manage ? "manage" : "write")}."
                : $"{key} is read-only; this request would {(action == AccessAction.Manage ? "manage" : "write to")} {target}.",
            KeyRestrictionCheck.Projects => entity is null
                ? $"{key} may touch only {string.Join(", ", restrictions.Projects)}; this request writes without naming a project."
                : $"{key} may touch only {string.Join(", ", restrictions.Projects)}; {target} is not among them.",
            // The allowed networks are not listed: whoever holds a leaked key learns nothing about where it works.
            _ => $"{key} may not be used from {client?.ToString() ?? "an unknown address"}.",
        };
        return new Decided(null, 403, DenyReasons.KeyRestricted, detail, restriction);
    }
}
