using System.Collections.Immutable;
using Gateway.Policy.Model;

namespace Gateway.Federation;

/// <summary>One rule of one account, its patterns parsed once (when the directory changes, not per token).</summary>
internal sealed class RuleEntry
{
    public RuleEntry(ServiceAccount account, FederationRule rule)
    {
        Account = account;
        Rule = rule;
        Subject = ClaimPattern.Parse(rule.Subject);
        Conditions = [.. rule.Conditions.Select(c => (c.Claim, ClaimPattern.Parse(c.Pattern)))];
    }

    public ServiceAccount Account { get; }

    public FederationRule Rule { get; }

    public ClaimPattern Subject { get; }

    public ImmutableArray<(string Claim, ClaimPattern Pattern)> Conditions { get; }

    /// <summary>How audits and logs name the rule: <c>account/rule</c>.</summary>
    public string Label => Account.DisplayName + "/" + Rule.Name;

    public bool Holds(TokenClaims token) => Subject.Matches(token.Subject) && Conditions.All(c => Holds(c.Claim, c.Pattern, token));

    /// <summary>The first condition the token fails (<c>sub</c> first) and how many hold; null when all do.</summary>
    public (string? Failed, int Held) Explain(TokenClaims token)
    {
        string? failed = Subject.Matches(token.Subject) ? null : $"sub does not match '{Subject.Text}'";
        var held = failed is null ? 1 : 0;
        foreach (var (claim, pattern) in Conditions)
        {
            if (Holds(claim, pattern, token))
            {
                held++;
            }
            else
            {
                failed ??= claim == "aud" ? $"no aud matches '{pattern.Text}'"
                    : token.Strings.TryGetValue(claim, out var value) ? $"{claim} '{Printable(value)}' does not match '{pattern.Text}'"
                    : $"{claim} is missing (or not a string)";
            }
        }

        return (failed, held);
    }

    // A claim value as logged: at most 100 characters, what would not print replaced (the token's sender chose it).
    private static string Printable(string value) => LogText.Printable(value, 100);

    private static bool Holds(string claim, ClaimPattern pattern, TokenClaims token)
        => claim == "aud" ? token.Audiences.Any(pattern.Matches) : token.Strings.TryGetValue(claim, out var value) && pattern.Matches(value);
}
