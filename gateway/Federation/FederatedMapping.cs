using System.Diagnostics.CodeAnalysis;
using Gateway.Directory;
using Gateway.Policy.Model;

namespace Gateway.Federation;

/// <summary>Who a token maps to, and by which rule: <c>account/rule</c>, <c>subject</c> (exact subject) or <c>email</c> (a person).</summary>
/// <param name="RuleId">The claim rule's id; null for the exact-subject and email mappings.</param>
internal readonly record struct FederatedMatch(Principal Principal, string? RuleId, string Rule);

/// <summary>
/// The rules from a token of an issuer to a principal, first that holds: the external service account
/// of a team of the issuer's organization whose subject equals <c>sub</c> exactly; else the user of
/// that organization whose email equals <c>sub</c> (W&amp;B's rule for people; not a gateway operator
/// through an issuer registered by an org admin); else the one account whose claim rule the token
/// satisfies (rules of one issuer never overlap: refused at creation; should two ever both hold,
/// nobody); else nobody. Claims no rule names (email, name, groups) never count.
/// </summary>
internal static class FederatedMapping
{
    public const string ExactSubject = "subject";
    public const string Email = "email";

    public static bool TryMap(DirectorySnapshot snapshot, TrustedIssuer issuer, TokenClaims token, out FederatedMatch match, out bool ambiguous)
    {
        ambiguous = false;
        if (TryMapAccountOnSubject(snapshot, issuer, token.Subject, out var account))
        {
            match = new FederatedMatch(account, null, ExactSubject);
            return true;
        }

        // A person's own email outranks a pattern: else a team admin's rule covering the org's emails
        // ('*@acme.example') would take every person's token from them.
        if (TryMapUser(snapshot, issuer, token.Subject, out var user))
        {
            match = new FederatedMatch(user, null, Email);
            return true;
        }

        RuleEntry? found = null;
        foreach (var entry in snapshot.FederationRules.Candidates(issuer.Url, token.Subject))
        {
            if (entry.Account.Org != issuer.Org || !entry.Holds(token))
            {
                continue;
            }

            if (found is not null)
            {
                // Fail closed: creation refuses overlapping rules, so this is a directory no check foresaw.
                ambiguous = true;
                match = default;
                return false;
            }

            found = entry;
        }

        if (found is not null)
        {
            match = new FederatedMatch(found.Account, found.Rule.Id, found.Label);
            return true;
        }

        match = default;
        return false;
    }

    /// <summary>The mapping of a token that says nothing but its subject (no claim rule with conditions can hold).</summary>
    public static bool TryMap(DirectorySnapshot snapshot, TrustedIssuer issuer, string subject, [MaybeNullWhen(false)] out Principal principal)
    {
        var mapped = TryMap(snapshot, issuer, new TokenClaims(subject, [], new Dictionary<string, string>()), out var match, out _);
        principal = mapped ? match.Principal : null;
        return mapped;
    }

    /// <summary>The mapping for a stored pair: the issuer must still be registered, for the same organization.</summary>
    public static bool TryMap(DirectorySnapshot snapshot, string? issuerUrl, string? subject, [MaybeNullWhen(false)] out Principal principal)
    {
        principal = null;
        return issuerUrl is not null && subject is not null && snapshot.Issuers.TryGetValue(issuerUrl, out var issuer)
            && TryMapOnSubject(snapshot, issuer, subject, out principal);
    }

    /// <summary>
    /// For a token no rule maps: the issuer's rule it came closest to (subject matched first, then
    /// most conditions held) and the first condition it failed; null when the issuer has no rules.
    /// </summary>
    public static (string Rule, string Failed)? Closest(DirectorySnapshot snapshot, TrustedIssuer issuer, TokenClaims token)
    {
        (string Rule, string Failed)? best = null;
        var bestScore = -1;
        foreach (var entry in snapshot.FederationRules.OfIssuer(issuer.Url))
        {
            if (entry.Account.Org != issuer.Org)
            {
                continue;
            }

            var (failed, held) = entry.Explain(token);
            var score = (entry.Subject.Matches(token.Subject) ? 1000 : 0) + held;
            if (score > bestScore)
            {
                bestScore = score;
                best = (entry.Label, failed ?? "it holds, but so does another rule");
            }
        }

        return best;
    }

    /// <summary>
    /// Whether a stored access token still maps to <paramref name="principalId"/>: through the same claim
    /// rule (still held by the account, for the issuer's organization), or on the same (issuer, subject).
    /// </summary>
    public static bool StillMaps(DirectorySnapshot snapshot, string? issuerUrl, string? subject, string? ruleId, string principalId)
    {
        if (issuerUrl is null || subject is null || !snapshot.Issuers.TryGetValue(issuerUrl, out var issuer))
        {
            return false;
        }

        if (ruleId is null)
        {
            return TryMapOnSubject(snapshot, issuer, subject, out var principal) && principal.Id == principalId;
        }

        // An exact subject or a person's email that now takes the subject outranks the rule, as in TryMap.
        return snapshot.AccountsById.TryGetValue(principalId, out var account)
               && account is { Authentication: AuthenticationKind.Federated } && account.Issuer == issuerUrl && account.Org == issuer.Org
               && HasRule(account, ruleId) && !TryMapOnSubject(snapshot, issuer, subject, out _);
    }

    // A loop, not Any with a lambda: the lambda's closure over ruleId would be allocated on every call,
    // the hot path's access tokens without a rule included (the closure is made where ruleId is in scope).
    private static bool HasRule(ServiceAccount account, string ruleId)
    {
        foreach (var rule in account.Rules)
        {
            if (rule.Id == ruleId)
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryMapOnSubject(DirectorySnapshot snapshot, TrustedIssuer issuer, string subject, [MaybeNullWhen(false)] out Principal principal)
    {
        if (TryMapAccountOnSubject(snapshot, issuer, subject, out var account))
        {
            principal = account;
            return true;
        }

        if (TryMapUser(snapshot, issuer, subject, out var user))
        {
            principal = user;
            return true;
        }

        principal = null;
        return false;
    }

    private static bool TryMapAccountOnSubject(DirectorySnapshot snapshot, TrustedIssuer issuer, string subject, [MaybeNullWhen(false)] out ServiceAccount account)
    {
        account = snapshot.AccountsBySubject.TryGetValue((issuer.Url, subject), out var found)
                  && found.Org == issuer.Org && found.Authentication == AuthenticationKind.Federated ? found : null;
        return account is not null;
    }

    // An issuer an org admin registered maps to the people of that org, never to a gateway operator:
    // an org admin may not act on an operator, so may not mint tokens for one either (they could
    // sign one with their own issuer's key). Issuers of gateway.json are the operators' own choice.
    private static bool TryMapUser(DirectorySnapshot snapshot, TrustedIssuer issuer, string subject, [MaybeNullWhen(false)] out User user)
    {
        user = snapshot.UsersByEmail.TryGetValue(subject, out var found) && found.Org == issuer.Org && (!found.Operator || issuer.FromConfiguration) ? found : null;
        return user is not null;
    }
}
