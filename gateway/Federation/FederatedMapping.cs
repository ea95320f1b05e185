using System.Diagnostics.CodeAnalysis;
using Gateway.Directory;
using Gateway.Policy.Model;

namespace Gateway.Federation;

/// <summary>
/// The one rule from an (issuer, subject) to a principal, on the exact pair: the external service
/// account of a team of the issuer's organization whose subject equals <c>sub</c>; else the user of
/// that organization whose email equals <c>sub</c> (W&amp;B's rule for people; not a gateway operator
/// through an issuer registered by an org admin); else nobody. Nothing else in a token (email, name,
/// groups) counts.
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

        // An issuer an org admin registered maps to the people of that org, never to a gateway operator:
        // an org admin may not act on an operator, so may not mint tokens for one either (they could
        // sign one with their own issuer's key). Issuers of gateway.json are the operators' own choice.
        if (snapshot.UsersByEmail.TryGetValue(subject, out var user) && user.Org == issuer.Org && (!user.Operator || issuer.FromConfiguration))
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
