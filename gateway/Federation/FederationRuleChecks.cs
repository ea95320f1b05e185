using System.Collections.Immutable;
using Gateway.Directory;
using Gateway.Policy.Model;

namespace Gateway.Federation;

/// <summary>A claim rule as written by an admin, before validation.</summary>
internal sealed record FederationRuleDraft(string? Name, string? Subject, IReadOnlyDictionary<string, string>? Conditions);

/// <summary>
/// What a claim rule may say, and when two rules overlap. Two rules overlap when one token could
/// satisfy both: unless some claim other than <c>aud</c> is constrained by both with patterns no
/// string matches together (decided exactly by <see cref="ClaimPattern.Intersects"/>), they do. A
/// claim only one rule names never separates them (a token may carry any value), and <c>aud</c>
/// never does (one token may list both audiences). An exact-subject account is the rule "sub equals
/// it, nothing else".
/// </summary>
internal static class FederationRuleChecks
{
    public const int MaxRulesPerAccount = 32;

    // Every token of an issuer is matched against its wildcard rules (anyone can mint a GitHub Actions
    // token): a bound on the issuer's rules bounds what one token costs, whoever wrote the rules.
    public const int MaxRulesPerIssuer = 256;

    /// <summary>Refuses rules that would take the issuer past <see cref="MaxRulesPerIssuer"/>.</summary>
    public static void ThrowIfIssuerFull(DirectorySnapshot d, string issuer, int adding)
    {
        if (d.FederationRules.OfIssuer(issuer).Length + adding > MaxRulesPerIssuer)
        {
            throw Diagnostics.AdminProblemException.Conflict(Diagnostics.ProblemCodes.FederationRuleLimit,
                $"An issuer holds at most {MaxRulesPerIssuer} claim rules across all accounts; delete rules no longer used, or map by exact subject.");
        }
    }
    public const int MaxConditions = 16;
    public const int MaxClaimNameLength = 64;

    // Checked by the gateway itself (iss, exp, nbf, iat), not strings (exp, nbf, iat), the subject
    // field's own (sub), or unique per token (jti): a condition on them is a mistake.
    private static readonly string[] ReservedClaims = ["iss", "sub", "exp", "nbf", "iat", "jti"];

    /// <summary>Checks every field and reports each problem (field, message); the rule only when there was none.</summary>
    public static FederationRule? Build(FederationRuleDraft draft, string prefix, string id, DateTimeOffset now, Action<string, string> error)
    {
        var ok = true;
        void Fail(string field, string message)
        {
            ok = false;
            error(prefix + field, message);
        }

        if (draft.Name is null || !Policy.Directory.Names.IsValidEntity(draft.Name))
        {
            Fail("name", "'name' is required and must match [a-z0-9][a-z0-9_-]{0,63}.");
        }

        if (!ClaimPattern.TryParse(draft.Subject, out _, out var subjectError))
        {
            Fail("subject", $"'subject' is required: a pattern for sub that {subjectError}.");
        }

        var conditions = ImmutableArray.CreateBuilder<ClaimCondition>();
        if (draft.Conditions is { } given)
        {
            if (given.Count > MaxConditions)
            {
                Fail("conditions", $"'conditions' may name at most {MaxConditions} claims.");
            }

            foreach (var (claim, pattern) in given.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                if (string.IsNullOrEmpty(claim) || claim.Length > MaxClaimNameLength || claim.Any(c => c <= ' ' || c > '~'))
                {
                    Fail("conditions", $"Claim names must be 1 to {MaxClaimNameLength} printable ASCII characters without spaces.");
                    continue;
                }

                if (ReservedClaims.Contains(claim))
                {
                    Fail("conditions." + claim, claim == "sub"
                        ? "Put the pattern for sub in 'subject'."
                        : $"'{claim}' is checked by the gateway itself and may not be a condition.");
                    continue;
                }

                if (!ClaimPattern.TryParse(pattern, out _, out var patternError))
                {
                    Fail("conditions." + claim, $"The pattern for '{claim}' {patternError}.");
                    continue;
                }

                conditions.Add(new ClaimCondition(claim, pattern));
            }
        }

        return ok
            ? new FederationRule { Id = id, Name = draft.Name!, Subject = draft.Subject!, Conditions = conditions.ToImmutable(), CreatedAt = now }
            : null;
    }

    /// <summary>Whether some token could satisfy both rules.</summary>
    public static bool Overlap(FederationRule a, FederationRule b) => Overlap(Parsed.Of(a), Parsed.Of(b));

    /// <summary>Whether a token whose <c>sub</c> is exactly <paramref name="subject"/> could satisfy the rule.</summary>
    public static bool OverlapsSubject(FederationRule rule, string subject) => Overlap(Parsed.Of(rule), new Parsed(ClaimPattern.Literal(subject), []));

    /// <summary>
    /// The existing mapping of <paramref name="issuer"/> a new rule (or exact subject) would overlap,
    /// named as audits name it (<c>account/rule</c>, or <c>account/subject</c>) with its account; null when none.
    /// </summary>
    public static (string Name, ServiceAccount Account)? FindOverlap(DirectorySnapshot d, string issuer, FederationRule? rule, string? exactSubject)
    {
        var candidate = rule is not null ? Parsed.Of(rule) : new Parsed(ClaimPattern.Literal(exactSubject!), []);
        foreach (var ((url, subject), account) in d.AccountsBySubject)
        {
            if (url == issuer && Overlap(candidate, new Parsed(ClaimPattern.Literal(subject), [])))
            {
                return (account.DisplayName + "/" + FederatedMapping.ExactSubject, account);
            }
        }

        foreach (var entry in d.FederationRules.OfIssuer(issuer))
        {
            if (Overlap(candidate, new Parsed(entry.Subject, entry.Conditions)))
            {
                return (entry.Label, entry.Account);
            }
        }

        return null;
    }

    private static bool Overlap(Parsed a, Parsed b)
    {
        if (!ClaimPattern.Intersects(a.Subject, b.Subject))
        {
            return false;
        }

        foreach (var (claim, pattern) in a.Conditions)
        {
            if (claim == "aud")
            {
                continue;
            }

            foreach (var (other, otherPattern) in b.Conditions)
            {
                if (other == claim && !ClaimPattern.Intersects(pattern, otherPattern))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private sealed record Parsed(ClaimPattern Subject, ImmutableArray<(string Claim, ClaimPattern Pattern)> Conditions)
    {
        public static Parsed Of(FederationRule rule)
            => new(ClaimPattern.Parse(rule.Subject), [.. rule.Conditions.Select(c => (c.Claim, ClaimPattern.Parse(c.Pattern)))]);
    }
}
