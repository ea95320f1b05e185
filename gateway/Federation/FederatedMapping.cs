using System.Diagnostics.CodeAnalysis;
using Gateway.Directory;
using Gateway.Policy.Model;

namespace Gateway.Federation;

/// <summary>
/// The one rule from an (issuer, subject) to a principal, on the exact pair: the external service
/// account of a team of the issuer's organization whose subject equals <c>sub</c>; else the user of
/// that organization whose email equals <c>sub</c> (W&amp;B's rule for people); else nobody. Nothing
/// else in a token (email, name, groups) counts.
/// </summary>
internal static class FederatedMapping
{
    public static bool TryMap(DirectorySnapshot snapshot, TrustedIssuer issuer, string subject, [MaybeNullWhen(false)] out Principal principal)
    {
        if (snapshot.AccountsBySubject.TryGetValue((issuer.Url, subject), out var account)
            && account.Org == issuer.Org && account.Authentication == AuthenticationKind.Federated)
        {
            principal = account;
            return true;
        }

        if (snapshot.UsersByEmail.TryGetValue(subject, out var user) && user.Org == issuer.Org)
        {
            principal = user;
            return true;
        }

        principal = null;
        return false;
    }

    /// <summary>The mapping for a stored pair: the issuer must still be registered, for the same organization.</summary>
    public static bool TryMap(DirectorySnapshot snapshot, string? issuerUrl, string? subject, [MaybeNullWhen(false)] out Principal principal)
    {
        principal = null;
        return issuerUrl is not null && subject is not null && snapshot.Issuers.TryGetValue(issuerUrl, out var issuer)
            && TryMap(snapshot, issuer, subject, out principal);
    }
}
