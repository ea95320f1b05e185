using System.Text.RegularExpressions;
using Gateway.Federation;
using Xunit;

namespace Gateway.Tests.Federation;

/// <summary>Claim patterns: <c>*</c> within one field and segment, <c>**</c> within one field, exact otherwise; intersection decided exactly.</summary>
public sealed class ClaimPatternTests
{
    private static ClaimPattern P(string text) => ClaimPattern.Parse(text);

    [Theory]
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:acme/web:ref:refs/heads/main", true)]
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:acme/web:ref:refs/heads/dev", false)]
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:acme/:ref:refs/heads/main", true)] // * may match nothing
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:acme/web:environment:x:ref:refs/heads/main", false)] // never crosses ':'
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:acme/web/x:ref:refs/heads/main", false)] // * never crosses '/'
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:evil/acme/web:ref:refs/heads/main", false)]
    [InlineData("repo:acme/*:ref:refs/heads/main", "xrepo:acme/web:ref:refs/heads/main", false)] // anchored
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:acme/web:ref:refs/heads/main2", false)]
    [InlineData("repo:acme/web:ref:refs/heads/**", "repo:acme/web:ref:refs/heads/release/1.2", true)] // ** crosses '/'
    [InlineData("repo:acme/web:ref:refs/heads/**", "repo:acme/web:ref:refs/heads/a:b", false)] // but never ':'
    [InlineData("repo:acme/web:ref:refs/tags/v*", "repo:acme/web:ref:refs/tags/v1.0", true)]
    [InlineData("repo:ACME/*:ref:refs/heads/main", "repo:acme/web:ref:refs/heads/main", false)] // ordinal
    [InlineData("a.b(c)+[d]", "a.b(c)+[d]", true)] // no regex: metacharacters are text
    [InlineData("a.b(c)+[d]", "aXb(c)+[d]", false)]
    [InlineData("*", "", true)]
    [InlineData("*-*", "x-y", true)]
    [InlineData("*-*", "xy", false)]
    public void Matches(string pattern, string value, bool expected) => Assert.Equal(expected, P(pattern).Matches(value));

    [Theory]
    [InlineData("")]
    [InlineData("a***")]
    [InlineData("a**b***")]
    [InlineData("a\u0001")]
    [InlineData("a\u2028b")] // line separator
    [InlineData("a\u202Eb")] // right-to-left override
    public void InvalidPatterns_AreRefused(string pattern) => Assert.False(ClaimPattern.TryParse(pattern, out _, out _));

    [Fact]
    public void Limits_TooLongPatternAndValue()
    {
        Assert.False(ClaimPattern.TryParse(new string('a', 256), out _, out _));
        Assert.True(ClaimPattern.TryParse(new string('a', 255), out _, out _));
        Assert.False(P("*").Matches(new string('a', ClaimPattern.MaxValueLength + 1)));
        Assert.True(P("**").Matches(new string('a', ClaimPattern.MaxValueLength)));
    }

    [Fact]
    public void ALiteral_IsExactEvenWithAsterisks()
    {
        Assert.True(ClaimPattern.Literal("a*b").Matches("a*b"));
        Assert.False(ClaimPattern.Literal("a*b").Matches("axb"));
        Assert.True(ClaimPattern.Literal("a*b").IsExact);
        Assert.False(P("a*b").IsExact);
    }

    [Fact]
    public void AHostileValue_CostsLinearTime()
    {
        // The classic catastrophic-backtracking shape: decided at once, no backtracking.
        var pattern = P(string.Concat(Enumerable.Repeat("*a", 100)) + "b");
        var value = new string('a', ClaimPattern.MaxValueLength);
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(pattern.Matches(value));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:acme/web:ref:refs/heads/*", true)]
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:acme/web:ref:refs/heads/dev", false)]
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:other/*:ref:refs/heads/main", false)]
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:*", false)] // * stops at the next ':'
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:**:ref:**", true)]
    [InlineData("repo:acme/*:ref:refs/heads/main", "repo:acme/a/*:ref:refs/heads/main", false)] // '/' is outside *
    [InlineData("repo:acme/**:ref:refs/heads/main", "repo:acme/a/*:ref:refs/heads/main", true)]
    [InlineData("*-prod", "staging-*", true)] // staging-prod
    [InlineData("prod", "staging", false)]
    [InlineData("a*", "*b", true)]
    [InlineData("a*", "b*", false)]
    [InlineData("*a", "*b", false)]
    public void Intersects(string a, string b, bool expected)
    {
        Assert.Equal(expected, ClaimPattern.Intersects(P(a), P(b)));
        Assert.Equal(expected, ClaimPattern.Intersects(P(b), P(a)));
    }

    [Fact]
    public void MatchingAndIntersection_AgreeWithABruteForceReference()
    {
        // Every string up to 6 characters over a small alphabet; a common witness, when there is one,
        // is at most as long as both patterns together (each character advances one of them).
        var alphabet = new[] { 'a', 'b', ':', '/' };
        var strings = new List<string> { "" };
        for (var length = 1; length <= 6; length++)
        {
            strings.AddRange(strings.Where(s => s.Length == length - 1).SelectMany(s => alphabet.Select(c => s + c)).ToList());
        }

        var tokens = new[] { "a", "b", ":", "/", "*", "**" };
        var random = new Random(33);
        var patterns = new List<string>();
        while (patterns.Count < 120)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => tokens[random.Next(tokens.Length)]));
            if (ClaimPattern.TryParse(text, out _, out _) && !patterns.Contains(text))
            {
                patterns.Add(text);
            }
        }

        var matched = patterns.ToDictionary(p => p, p =>
        {
            var reference = new Regex("^" + Regex.Escape(p).Replace(@"\*\*", "[^:]*").Replace(@"\*", "[^:/]*") + "$", RegexOptions.None, TimeSpan.FromSeconds(1));
            var set = strings.Where(s => P(p).Matches(s)).ToHashSet();
            Assert.Equal(strings.Where(s => reference.IsMatch(s)).ToHashSet(), set);
            return set;
        });

        foreach (var a in patterns)
        {
            foreach (var b in patterns)
            {
                Assert.True(matched[a].Overlaps(matched[b]) == ClaimPattern.Intersects(P(a), P(b)), $"'{a}' and '{b}'");
            }
        }
    }
}
