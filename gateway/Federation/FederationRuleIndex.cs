using System.Collections.Immutable;
using Gateway.Policy.Model;

namespace Gateway.Federation;

/// <summary>
/// The claim rules of the directory by issuer, kept with each snapshot and updated with it: rules
/// whose subject pattern is exact are found by one dictionary lookup on (issuer, <c>sub</c>), the
/// others are scanned for their issuer only.
/// </summary>
internal sealed class FederationRuleIndex
{
    public static readonly FederationRuleIndex Empty = new(
        ImmutableDictionary<string, ImmutableArray<RuleEntry>>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableDictionary<(string, string), ImmutableArray<RuleEntry>>.Empty,
        ImmutableDictionary<string, ImmutableArray<RuleEntry>>.Empty.WithComparers(StringComparer.Ordinal));

    private readonly ImmutableDictionary<string, ImmutableArray<RuleEntry>> _byIssuer;
    private readonly ImmutableDictionary<(string Issuer, string Subject), ImmutableArray<RuleEntry>> _exact;
    private readonly ImmutableDictionary<string, ImmutableArray<RuleEntry>> _globs;
    private ImmutableHashSet<string>? _claimNames;

    private FederationRuleIndex(ImmutableDictionary<string, ImmutableArray<RuleEntry>> byIssuer,
        ImmutableDictionary<(string, string), ImmutableArray<RuleEntry>> exact, ImmutableDictionary<string, ImmutableArray<RuleEntry>> globs)
    {
        _byIssuer = byIssuer;
        _exact = exact;
        _globs = globs;
    }

    /// <summary>
    /// Every claim some condition names (<c>aud</c> and <c>sub</c> aside: always kept); the same object
    /// for as long as the rules do not change.
    /// </summary>
    public ImmutableHashSet<string> ClaimNames => _claimNames ??= _byIssuer.Values
        .SelectMany(rules => rules.SelectMany(e => e.Rule.Conditions.Select(c => c.Claim)))
        .Where(c => c != "aud")
        .ToImmutableHashSet(StringComparer.Ordinal);

    /// <summary>Every rule of <paramref name="issuer"/>, in creation order.</summary>
    public ImmutableArray<RuleEntry> OfIssuer(string issuer) => _byIssuer.TryGetValue(issuer, out var all) ? all : [];

    /// <summary>The rules that could match a token of <paramref name="issuer"/> with subject <paramref name="subject"/>.</summary>
    public IEnumerable<RuleEntry> Candidates(string issuer, string subject)
    {
        var exact = _exact.TryGetValue((issuer, subject), out var e) ? e : [];
        var globs = _globs.TryGetValue(issuer, out var g) ? g : [];
        return exact.IsEmpty ? globs : globs.IsEmpty ? exact : exact.Concat(globs);
    }

    /// <summary>The index once <paramref name="old"/> (if any) is replaced by <paramref name="updated"/> (null: deleted).</summary>
    public FederationRuleIndex Replace(ServiceAccount? old, ServiceAccount? updated)
    {
        if (!HasRules(old) && !HasRules(updated))
        {
            return this;
        }

        var byIssuer = _byIssuer;
        var exact = _exact;
        var globs = _globs;
        if (HasRules(old))
        {
            var issuer = old!.Issuer!;
            byIssuer = Without(byIssuer, issuer, old.Id);
            globs = Without(globs, issuer, old.Id);
            foreach (var rule in old.Rules)
            {
                exact = Without(exact, (issuer, rule.Subject), old.Id);
            }
        }

        if (HasRules(updated))
        {
            var issuer = updated!.Issuer!;
            foreach (var rule in updated.Rules)
            {
                var entry = new RuleEntry(updated, rule);
                byIssuer = With(byIssuer, issuer, entry);
                if (entry.Subject.IsExact)
                {
                    exact = With(exact, (issuer, rule.Subject), entry);
                }
                else
                {
                    globs = With(globs, issuer, entry);
                }
            }
        }

        return new FederationRuleIndex(byIssuer, exact, globs);
    }

    private static bool HasRules(ServiceAccount? account)
        => account is { Authentication: AuthenticationKind.Federated, Issuer: not null, Rules.IsDefaultOrEmpty: false };

    private static ImmutableDictionary<TKey, ImmutableArray<RuleEntry>> With<TKey>(ImmutableDictionary<TKey, ImmutableArray<RuleEntry>> map, TKey key, RuleEntry entry)
        where TKey : notnull
        => map.SetItem(key, map.TryGetValue(key, out var list) ? list.Add(entry) : [entry]);

    private static ImmutableDictionary<TKey, ImmutableArray<RuleEntry>> Without<TKey>(ImmutableDictionary<TKey, ImmutableArray<RuleEntry>> map, TKey key, string accountId)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            return map;
        }

        var kept = list.RemoveAll(e => e.Account.Id == accountId);
        return kept.IsEmpty ? map.Remove(key) : map.SetItem(key, kept);
    }
}
